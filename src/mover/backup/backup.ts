/**
 * The mover's backup entry points: directory trees, byte streams (stdin or a command's
 * output) and block devices or image files. Each runs one BackupSession under a shared
 * repository lock and publishes a snapshot only when everything it needs is stored.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { HoldfastError } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { Repository } from '../../repo/repository.ts';
import { safeUsername } from '../../repo/repository.ts';
import { acquireLock } from '../../repo/lock/lock.ts';
import { listSnapshots, loadSnapshot } from '../../repo/snapshot/snapshot-store.ts';
import type { Snapshot, SnapshotManifest, SnapshotSummary } from '../../repo/snapshot/snapshot.ts';
import type { ChunkProfileName } from './profiles.ts';
import { chunkerParams } from './profiles.ts';
import { BackupSession } from './session.ts';
import type { SessionOptions, SourceError } from './session.ts';
import { StreamArchiver } from './stream-archiver.ts';
import { readFromStart, startCommand, type StartedCommand } from './stream-command.ts';
import { TreeArchiver } from './tree-archiver.ts';
import { DirScanner } from './dir-scanner.ts';
import type { TreeScanner } from './dir-listing.ts';
import { NativeDirScanner, nativeListDir } from './native-scanner.ts';
import { FileScheduler } from './file-scheduler.ts';
import type { FileResult } from './file-scheduler.ts';
import { nodeFromStats, type ChangeDetection } from './node-meta.ts';

export interface CommonBackupOptions extends SessionOptions {
  readonly tags?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly hostname?: string;
  readonly chunkProfile?: ChunkProfileName;
}

export interface BackupResult {
  readonly id: Id;
  readonly summary: SnapshotSummary;
  readonly errors: readonly SourceError[];
  readonly parent?: Id;
}

type ManifestBase = Omit<SnapshotManifest, 'summary' | 'tree' | 'kind' | 'paths'>;

function manifestBase(opts: CommonBackupOptions, parent: Snapshot | undefined, started: Date): ManifestBase {
  return {
    version: 1,
    time: started.toISOString(),
    hostname: opts.hostname ?? hostname(),
    username: safeUsername(),
    tags: [...(opts.tags ?? [])],
    labels: { ...(opts.labels ?? {}) },
    program: 'holdfast 0.1.0',
    ...(parent ? { parent: parent.id } : {}),
  };
}

/**
 * Runs `run` in a session under a shared lock. The index and the parent snapshot (the
 * newest of the same host, paths and kind) load side by side once the lock is held.
 * With `growWithParent`, a session that has a parent starts one worker and adds more as
 * the work needs them: against a parent, a tree backup usually reads few files.
 */
async function withSession<T>(
  repo: Repository, opts: SessionOptions, parentOf: ParentQuery | undefined,
  run: (s: BackupSession, parent: Snapshot | undefined) => Promise<T>, growWithParent = false,
): Promise<T> {
  const lock = await acquireLock(repo, { exclusive: false, clock: opts.clock });
  try {
    const [, parent] = await Promise.all([repo.loadIndex(), parentOf ? findParent(repo, parentOf) : undefined]);
    const session = new BackupSession(repo, growWithParent && parent ? { ...opts, growWorkers: true } : opts);
    try {
      return await run(session, parent);
    } finally {
      await session.close();
    }
  } finally {
    await lock.release();
  }
}

interface ParentQuery {
  readonly host: string;
  readonly paths: readonly string[];
  readonly kind: SnapshotManifest['kind'];
  /** This snapshot, rather than the newest of the same host and paths. */
  readonly id?: Id;
}

/** The parent named, else the newest snapshot of the same host and paths, used for change detection. */
async function findParent(repo: Repository, q: ParentQuery): Promise<Snapshot | undefined> {
  if (q.id !== undefined) return loadSnapshot(repo, q.id);
  const all = await listSnapshots(repo, { hostname: q.host, paths: q.paths, kind: q.kind });
  return all.at(-1);
}

export interface TreeBackupOptions extends CommonBackupOptions {
  readonly excludes?: readonly string[];
  /** A snapshot id to use as parent instead of the newest matching one; `false` for none. */
  readonly parent?: Id | false;
  /**
   * A scan of the same paths and excludes started earlier (`startTreeScan`), e.g. while
   * the repository was being opened; `backupTree` takes it over and closes it. Without
   * one, it starts its own.
   */
  readonly scan?: TreeScanner;
  /** How unchanged files are recognised against the parent (node-meta.ts); default `strict`. */
  readonly changeDetection?: ChangeDetection;
}

/**
 * Starts listing the source tree ahead of `backupTree`: through the native addon from
 * this thread where it has listDir (ADR 0037), else on a worker thread.
 */
export function startTreeScan(paths: readonly string[], excludes: readonly string[] = []): TreeScanner {
  const roots = paths.map((p) => resolve(p));
  const native = nativeListDir();
  return native ? NativeDirScanner.start(native, roots, excludes) : DirScanner.start(roots, excludes);
}

export async function backupTree(repo: Repository, paths: readonly string[], opts: TreeBackupOptions): Promise<BackupResult> {
  const abs = paths.map((p) => resolve(p));
  const parentOf = opts.parent === false ? undefined : { host: opts.hostname ?? hostname(), paths: abs, kind: 'tree' as const, ...(opts.parent !== undefined ? { id: opts.parent } : {}) };
  const scan = opts.scan ?? startTreeScan(abs, opts.excludes ?? []);
  try {
    return await withSession(repo, opts, parentOf, async (session, parent) => {
      if (!parent) session.files.start();
      const archiver = new TreeArchiver(session, chunkerParams(repo, opts.chunkProfile ?? 'default'), opts.excludes ?? [], scan, opts.changeDetection);
      const tree = await archiver.archive(abs, parent?.tree);
      const { id, summary } = await session.publish({ ...manifestBase(opts, parent, session.started), kind: 'tree', paths: abs, tree });
      return { id, summary, errors: session.errors, ...(parent ? { parent: parent.id } : {}) };
    }, true);
  } finally {
    await scan.close();
  }
}

export interface StreamBackupOptions extends CommonBackupOptions {
  readonly filename: string;
  readonly command?: string;
  /** Runs after the stream ended and before publication; throwing stops publication. */
  readonly beforePublish?: () => Promise<void>;
}

/** Backs up a stream: a Readable (read from the start here, `readFromStart`), or pieces already being read ahead (`startCommand`). */
export async function backupStream(repo: Repository, source: Readable | AsyncIterable<Buffer>, opts: StreamBackupOptions): Promise<BackupResult> {
  const input = source instanceof Readable ? readFromStart(source) : source;
  const paths = [`/${opts.filename}`];
  return withSession(repo, opts, { host: opts.hostname ?? hostname(), paths, kind: 'stream' }, async (session, parent) => {
    if (!session.chunks) session.pool.start();
    const archiver = new StreamArchiver(session, chunkerParams(repo, opts.chunkProfile ?? 'default'));
    const content = await archiver.archive(input);
    session.counts.files = 1;
    session.counts.filesChanged = 1;
    session.counts.bytesRead = archiver.bytesRead;
    session.counts.bytesTotal = archiver.bytesRead;
    const now = opts.clock.now().getTime();
    const tree = await session.saveTree([{
      name: opts.filename, type: 'file', mode: 0o600, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0,
      mtime: now, ctime: now, inode: 0, dev: 0, links: 1, size: archiver.bytesRead, content,
    }]);
    await opts.beforePublish?.();
    const extra = opts.command !== undefined ? { command: opts.command } : {};
    const { id, summary } = await session.publish({ ...manifestBase(opts, parent, session.started), ...extra, kind: 'stream', paths, tree });
    return { id, summary, errors: [], ...(parent ? { parent: parent.id } : {}) };
  });
}

/**
 * Backs up a command's standard output; a non-zero exit fails the backup. The command may
 * have been started already (`startCommand`, while the repository opened).
 */
export async function backupCommand(repo: Repository, command: string | StartedCommand, opts: StreamBackupOptions): Promise<BackupResult> {
  const started = typeof command === 'string' ? startCommand(command) : command;
  try {
    return await backupStream(repo, started.output, { ...opts, command: started.command, beforePublish: () => started.succeeded() });
  } finally {
    started.stop();
  }
}

export interface BlockBackupOptions extends CommonBackupOptions {
  /** The snapshot recorded as parent instead of the newest of the same host and path; `false` for none. */
  readonly parent?: Id | false;
}

export async function backupBlock(repo: Repository, path: string, opts: BlockBackupOptions): Promise<BackupResult> {
  const abs = resolve(path);
  const parentOf = opts.parent === false ? undefined : { host: opts.hostname ?? hostname(), paths: [abs], kind: 'block' as const, ...(opts.parent !== undefined ? { id: opts.parent } : {}) };
  return withSession(repo, opts, parentOf, async (session, parent) => {
    session.files.start();
    const st = statSync(abs);
    const files = new FileScheduler(session, chunkerParams(repo, opts.chunkProfile ?? 'default'));
    let result: FileResult | undefined;
    await files.submit(abs, sourceSize(abs, st), (r) => void (result = r));
    await files.drain();
    if (!result) throw new HoldfastError('INTERNAL', `the worker reading ${abs} reported no result`);
    if (result.error !== undefined) throw new HoldfastError('SOURCE_UNREADABLE', `cannot read ${abs}: ${result.error}`);
    Object.assign(session.counts, { files: 1, filesChanged: 1, bytesRead: result.bytesRead, bytesTotal: result.bytesRead });
    const node = { ...nodeFromStats(basename(abs), 'file', st), size: result.bytesRead, content: result.content };
    const tree = await session.saveTree([node]);
    const { id, summary } = await session.publish({ ...manifestBase(opts, parent, session.started), kind: 'block', paths: [abs], tree });
    return { id, summary, errors: [], ...(parent ? { parent: parent.id } : {}) };
  });
}

/**
 * Bytes in a device or image: a block device's stat size is 0, so its size comes from
 * /sys/dev/block/<major>:<minor>/size (in 512-byte sectors); an image file's is its size.
 */
export function sourceSize(path: string, st: Stats = statSync(path)): number {
  if (!st.isBlockDevice()) return st.size;
  const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn) | Number((BigInt(st.rdev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(st.rdev) & 0xffn) | Number((BigInt(st.rdev) >> 12n) & ~0xffn);
  try {
    return Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim()) * 512;
  } catch (err) {
    throw new HoldfastError('SOURCE_UNREADABLE', `cannot tell the size of block device ${path} (${major}:${minor})`, { cause: err });
  }
}
