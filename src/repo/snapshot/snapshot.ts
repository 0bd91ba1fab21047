/**
 * Snapshot manifests: one sealed JSON object per backup, naming the root tree and
 * describing what was backed up, when, from where, and with what result. Tags and labels
 * (cluster, namespace, app, policy …) group snapshots for retention and lookup.
 */
import { fields, hexId, integer, list, number, oneOf, optional, readShape, stringMap, text } from '../../core/json-shape.ts';
import type { Id } from '../../core/ids.ts';

export interface SnapshotSummary {
  files: number;
  dirs: number;
  filesChanged: number;
  filesUnchanged: number;
  bytesRead: number;
  bytesTotal: number;
  blobsNew: number;
  bytesNew: number;
  bytesStored: number;
  errors: number;
  durationMs: number;
}

export type SnapshotKind = 'tree' | 'stream' | 'block' | 'resources';
const KINDS: readonly SnapshotKind[] = ['tree', 'stream', 'block', 'resources'];

export interface SnapshotManifest {
  version: 1;
  time: string;
  hostname: string;
  username: string;
  kind: SnapshotKind;
  paths: string[];
  tree: Id;
  parent?: Id;
  /** Set on copies (`holdfast copy`): the id of the snapshot first taken, in its repository. */
  original?: Id;
  tags: string[];
  labels: Record<string, string>;
  program: string;
  command?: string;
  summary: SnapshotSummary;
}

/** The summary's keys in their written order; true for whole counts, false for amounts. */
const SUMMARY_KEYS: ReadonlyArray<[keyof SnapshotSummary, boolean]> = [
  ['files', true], ['dirs', true], ['filesChanged', true], ['filesUnchanged', true], ['bytesRead', false], ['bytesTotal', false],
  ['blobsNew', true], ['bytesNew', false], ['bytesStored', false], ['errors', true], ['durationMs', false],
];
const MANIFEST_KEYS = ['version', 'time', 'hostname', 'username', 'kind', 'paths', 'tree', 'parent', 'original', 'tags', 'labels', 'program', 'command', 'summary'];

function readSummary(value: unknown, path: string): SnapshotSummary {
  const f = fields(value, path, SUMMARY_KEYS.map(([k]) => k));
  const out: Partial<Record<keyof SnapshotSummary, number>> = {};
  for (const [k, whole] of SUMMARY_KEYS) out[k] = whole ? integer(f[k], `${path}.${k}`, { min: 0 }) : number(f[k], `${path}.${k}`, { min: 0 });
  return out as SnapshotSummary;
}

function readManifest(value: unknown): SnapshotManifest {
  const f = fields(value, 'snapshot', MANIFEST_KEYS);
  const parent = optional(f.parent, 'parent', hexId);
  const original = optional(f.original, 'original', hexId);
  const command = optional(f.command, 'command', text);
  return {
    version: oneOf(f.version, 'version', [1] as const),
    time: text(f.time, 'time'),
    hostname: text(f.hostname, 'hostname'),
    username: text(f.username, 'username'),
    kind: oneOf(f.kind, 'kind', KINDS),
    paths: list(f.paths, 'paths', text, { min: 1 }),
    tree: hexId(f.tree, 'tree'),
    ...(parent !== undefined ? { parent } : {}),
    ...(original !== undefined ? { original } : {}),
    tags: list(f.tags, 'tags', text),
    labels: stringMap(f.labels, 'labels'),
    program: text(f.program, 'program'),
    ...(command !== undefined ? { command } : {}),
    summary: readSummary(f.summary, 'summary'),
  };
}

export interface Snapshot extends SnapshotManifest {
  readonly id: Id;
}

export function parseSnapshot(json: unknown, id: Id): Snapshot {
  return { ...readShape(`snapshot ${id} is malformed`, () => readManifest(json)), id };
}
