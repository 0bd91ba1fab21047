/**
 * Snapshot manifests: one sealed JSON object per backup, naming the root tree and
 * describing what was backed up, when, from where, and with what result. Tags and labels
 * (cluster, namespace, app, policy …) group snapshots for retention and lookup.
 */
import { z } from 'zod';
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';

const idString = z.string().regex(/^[0-9a-f]{64}$/);

export const snapshotSummarySchema = z.strictObject({
  files: z.number().int().nonnegative(),
  dirs: z.number().int().nonnegative(),
  filesChanged: z.number().int().nonnegative(),
  filesUnchanged: z.number().int().nonnegative(),
  bytesRead: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  blobsNew: z.number().int().nonnegative(),
  bytesNew: z.number().nonnegative(),
  bytesStored: z.number().nonnegative(),
  errors: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export type SnapshotSummary = z.infer<typeof snapshotSummarySchema>;

export const snapshotSchema = z.strictObject({
  version: z.literal(1),
  time: z.string(),
  hostname: z.string(),
  username: z.string(),
  kind: z.enum(['tree', 'stream', 'block', 'resources']),
  paths: z.array(z.string()).min(1),
  tree: idString,
  parent: idString.optional(),
  /** Set on copies (`holdfast copy`): the id of the snapshot first taken, in its repository. */
  original: idString.optional(),
  tags: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  program: z.string(),
  command: z.string().optional(),
  summary: snapshotSummarySchema,
});
export type SnapshotManifest = z.infer<typeof snapshotSchema>;

export interface Snapshot extends SnapshotManifest {
  readonly id: Id;
}

export function parseSnapshot(json: unknown, id: Id): Snapshot {
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) throw new HoldfastError('REPO_CORRUPT', `snapshot ${id} is malformed: ${z.prettifyError(parsed.error)}`);
  return { ...parsed.data, id };
}
