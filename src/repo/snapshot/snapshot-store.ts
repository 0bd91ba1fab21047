/** Loading, finding, saving and deleting snapshot manifests. */
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import { parseJson } from '../repository.ts';
import type { Repository } from '../repository.ts';
import { parseSnapshot } from './snapshot.ts';
import type { Snapshot, SnapshotManifest } from './snapshot.ts';

export interface SnapshotFilter {
  readonly hostname?: string;
  readonly paths?: readonly string[];
  readonly tags?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly kind?: SnapshotManifest['kind'];
}

export async function loadSnapshot(repo: Repository, id: Id): Promise<Snapshot> {
  const plain = await repo.loadObject('snapshots', id);
  return parseSnapshot(parseJson(plain, `snapshot ${id}`), id);
}

export async function listSnapshots(repo: Repository, filter: SnapshotFilter = {}): Promise<Snapshot[]> {
  const names: string[] = [];
  for await (const info of repo.storage.list('snapshots')) names.push(info.name);
  const all = await Promise.all(names.map((n) => loadSnapshot(repo, n)));
  return all.filter((s) => matches(s, filter)).sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

export function matches(s: SnapshotManifest, f: SnapshotFilter): boolean {
  if (f.hostname !== undefined && s.hostname !== f.hostname) return false;
  if (f.kind !== undefined && s.kind !== f.kind) return false;
  if (f.paths && f.paths.length > 0 && !sameSet(s.paths, f.paths)) return false;
  if (f.tags && !f.tags.every((t) => s.tags.includes(t))) return false;
  if (f.labels && !Object.entries(f.labels).every(([k, v]) => s.labels[k] === v)) return false;
  return true;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');
}

/** Resolves `latest`, a full id or a unique id prefix (at least 4 characters). */
export async function findSnapshot(repo: Repository, ref: string, filter: SnapshotFilter = {}): Promise<Snapshot> {
  if (ref === 'latest') {
    const all = await listSnapshots(repo, filter);
    const last = all.at(-1);
    if (!last) throw new HoldfastError('SNAPSHOT_NOT_FOUND', `no snapshot in ${repo.storage.location} matches the filter for 'latest'`);
    return last;
  }
  return loadSnapshot(repo, await resolveSnapshotId(repo, ref));
}

/**
 * Resolves a full id or a unique id prefix (at least 4 characters) to the id of a stored
 * snapshot without reading it, so a damaged snapshot can still be named (and forgotten).
 */
export async function resolveSnapshotId(repo: Repository, ref: string): Promise<Id> {
  if (!/^[0-9a-f]{4,64}$/.test(ref)) throw new HoldfastError('USAGE', `'${ref}' is not a snapshot id (hex, at least 4 characters) or 'latest'`);
  const names: string[] = [];
  for await (const info of repo.storage.list('snapshots')) if (info.name.startsWith(ref)) names.push(info.name);
  if (names.length === 0) throw new HoldfastError('SNAPSHOT_NOT_FOUND', `no snapshot ${ref} in ${repo.storage.location}`);
  if (names.length > 1) throw new HoldfastError('USAGE', `snapshot id ${ref} is ambiguous (${names.length} matches); give more characters`);
  return names[0] as Id;
}

export async function saveSnapshot(repo: Repository, manifest: SnapshotManifest): Promise<Id> {
  return repo.saveObject('snapshots', Buffer.from(JSON.stringify(manifest)));
}

export async function deleteSnapshot(repo: Repository, id: Id): Promise<void> {
  await repo.storage.delete({ type: 'snapshots', name: id });
}
