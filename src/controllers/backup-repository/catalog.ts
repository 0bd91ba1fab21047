/**
 * Catalog sync (export/import): the backups other clusters stored in a repository appear
 * in this cluster as read-only Backup objects, so a Restore can name them — disaster
 * recovery and migration with nothing but the repository and its password.
 *
 * Every Backup the operator stores carries its cluster's id and its uid in the
 * snapshot's labels. A sync lists the repository's resources snapshots; each one made by
 * another cluster — or by this one, when its Backup object is gone but the snapshot was
 * kept (deletionPolicy retain, or the Backup went with its namespace) — gets an
 * imported Backup (spec.imported, phase Completed, named
 * `<original name>-<snapshot id prefix>` so two clusters' same-named backups never
 * collide), in catalog.namespace, else the original namespace when it exists here, else
 * the operator namespace. Imported Backups whose snapshot is gone (forgotten by the
 * cluster that made it) are deleted; their deletion never touches the repository.
 * Each step is idempotent: creating an existing object is a no-op.
 */
import type { Clock } from '../../core/clock.ts';
import type { BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import type { BackupStatus } from '../../k8s/api/backup.ts';
import { API_VERSION, LABELS, SNAPSHOT_LABELS } from '../../k8s/api/group.ts';
import type { HoldfastObjects, KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import { setCondition } from '../../k8s/status/conditions.ts';
import type { ArchivedSnapshot, RepositoryTarget, ResourceArchive } from '../ports.ts';

export interface CatalogDeps {
  readonly objects: HoldfastObjects;
  readonly archive: ResourceArchive;
  readonly clusterId: string;
  readonly operatorNamespace: string;
  readonly clock: Clock;
}

export interface CatalogResult {
  readonly imported: number;
  readonly created: number;
  readonly removed: number;
  readonly clusters: string[];
}

export async function syncCatalog(d: CatalogDeps, repository: string, spec: BackupRepositorySpec, target: RepositoryTarget): Promise<CatalogResult> {
  const backups = await d.objects.listAll('backups');
  const live = new Set(backups.map((b) => b.metadata?.uid ?? ''));
  const foreign = (await d.archive.list(target)).filter((s) => {
    const cluster = s.labels[SNAPSHOT_LABELS.cluster];
    const uid = s.labels[SNAPSHOT_LABELS.backupUid];
    return uid !== undefined && cluster !== undefined && (cluster !== d.clusterId || !live.has(uid));
  });
  const existing = backups.filter((b) => b.metadata?.labels?.[LABELS.imported] === 'true' && b.metadata.labels[LABELS.repository] === repository);
  const have = new Set(existing.map(importedSnapshot));
  let created = 0;
  for (const snap of foreign.filter((s) => !have.has(s.id))) {
    if (await importBackup(d, repository, spec, snap)) created++;
  }
  const present = new Set(foreign.map((s) => s.id));
  const stale = existing.filter((b) => !present.has(importedSnapshot(b)));
  for (const b of stale) await d.objects.delete({ plural: 'backups', namespace: b.metadata?.namespace ?? '', name: b.metadata?.name ?? '' });
  const clusters = [...new Set(foreign.map((s) => s.labels[SNAPSHOT_LABELS.cluster] ?? ''))].sort();
  return { imported: foreign.length, created, removed: stale.length, clusters };
}

function importedSnapshot(b: KubeObjectJson): string {
  return (b.spec as { imported?: { snapshotId?: string } } | undefined)?.imported?.snapshotId ?? '';
}

/** Creates the imported Backup for `snap` and writes its status; false when it existed already. */
async function importBackup(d: CatalogDeps, repository: string, spec: BackupRepositorySpec, snap: ArchivedSnapshot): Promise<boolean> {
  const [sourceNamespace = '', sourceName = 'backup'] = (snap.labels[SNAPSHOT_LABELS.backup] ?? '').split('/');
  const sourceCluster = snap.labels[SNAPSHOT_LABELS.cluster] ?? '';
  const namespace = await importNamespace(d, spec, sourceNamespace);
  const name = `${sourceName.slice(0, 53)}-${snap.id.slice(0, 8)}`;
  const body: KubeObjectJson = {
    apiVersion: API_VERSION,
    kind: 'Backup',
    metadata: { name, labels: { [LABELS.imported]: 'true', [LABELS.repository]: repository, [LABELS.sourceCluster]: sourceCluster.slice(0, 63) } },
    spec: {
      repositoryRef: { name: repository },
      deletionPolicy: 'retain',
      imported: { snapshotId: snap.id, sourceCluster, ...(sourceNamespace ? { sourceNamespace } : {}), sourceName },
    },
  };
  if (!(await d.objects.create('backups', namespace, body))) return false;
  const obj = await d.objects.get({ plural: 'backups', namespace, name });
  if (obj === undefined) return true;
  await d.objects.patchStatus({ plural: 'backups', namespace, name }, importedStatus(d.clock.now(), snap, sourceCluster));
  return true;
}

async function importNamespace(d: CatalogDeps, spec: BackupRepositorySpec, sourceNamespace: string): Promise<string> {
  if (spec.catalog?.namespace) return spec.catalog.namespace;
  const ns = sourceNamespace ? await d.objects.namespace(sourceNamespace) : undefined;
  return ns !== undefined && !ns.terminating ? sourceNamespace : d.operatorNamespace;
}

function importedStatus(now: Date, snap: ArchivedSnapshot, sourceCluster: string): BackupStatus {
  const status: BackupStatus = {
    phase: 'Completed',
    completionTime: snap.time,
    clusterId: sourceCluster,
    snapshotId: snap.id,
    snapshots: [{ id: snap.id, type: 'resources' }],
    resources: { total: snap.files },
    conditions: [],
  };
  const message = `imported from cluster ${sourceCluster}: snapshot ${snap.id.slice(0, 12)} of ${snap.labels[SNAPSHOT_LABELS.backup] ?? 'a Backup'}`;
  setCondition(status, { type: 'Succeeded', status: 'True', reason: 'Imported', message }, now);
  return status;
}
