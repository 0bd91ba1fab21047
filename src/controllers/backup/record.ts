/**
 * The backup's record, stored as one file beside the captured objects in its resources
 * snapshot (the seed's "backup registry"): the volumes with their snapshot handles and
 * repository snapshots, the dumps, the consistency window and the hook results. Another
 * cluster reads it to import snapshot-only backups and to find the data snapshots.
 */
import type { BackupStatus } from '../../k8s/api/backup.ts';

export const RECORD_PATH = 'holdfast/backup.json';
export const RECORD_VERSION = 1;

export interface BackupRecord {
  readonly version: number;
  readonly volumes: NonNullable<BackupStatus['volumes']>;
  readonly dumps: NonNullable<BackupStatus['dumps']>;
  readonly snapshots: NonNullable<BackupStatus['snapshots']>;
  readonly consistency?: BackupStatus['consistency'];
  readonly hooks: NonNullable<BackupStatus['hooks']>;
}

export function backupRecord(status: BackupStatus): BackupRecord {
  return {
    version: RECORD_VERSION,
    volumes: status.volumes ?? [],
    dumps: status.dumps ?? [],
    snapshots: (status.snapshots ?? []).filter((s) => s.type !== 'resources'),
    ...(status.consistency ? { consistency: status.consistency } : {}),
    hooks: status.hooks ?? [],
  };
}

/** The record among a resources snapshot's files, if the backup wrote one (older backups did not). */
export function readRecord(files: ReadonlyArray<{ readonly path: string; readonly data: Buffer }>): BackupRecord | undefined {
  const file = files.find((f) => f.path === RECORD_PATH);
  return file === undefined ? undefined : (JSON.parse(file.data.toString('utf8')) as BackupRecord);
}
