/**
 * The machine-level operations the scenarios need: fresh tmpfs mounts for restores (and
 * memory primed before them),
 * repository sizes (`du -sb`), warming the page cache, free ports, free disk space.
 */
import { lstat, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { isRoot } from '../scripts/lib/host.ts';
import { join } from 'node:path';
import { run, drain } from './proc.ts';

export { freePort, isRoot } from '../scripts/lib/host.ts';

export interface RestoreTarget {
  dir: string;
  /** Unmounts (when a tmpfs was mounted) and removes the directory. */
  release(): Promise<void>;
}

/** A new, empty tmpfs per restore, so no restore pays for the deletes of the one before. */
export async function freshTmpfs(dir: string): Promise<RestoreTarget> {
  await mkdir(dir, { recursive: true });
  if (!isRoot) {
    process.stderr.write(`bench: not root, restoring into ${dir} on the scratch filesystem instead of a tmpfs\n`);
    return { dir, release: () => rm(dir, { recursive: true, force: true }) };
  }
  await run({ argv: ['mount', '-t', 'tmpfs', '-o', 'size=12g,mode=0755', 'holdfast-bench', dir] });
  return {
    dir,
    release: async () => {
      await run({ argv: ['umount', dir], cleanup: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes `bytes` into a throwaway tmpfs and releases it, so the memory a timed restore is
 * about to fill was in use a moment ago, for every tool alike. Without it the first tool
 * to restore in a run paid ~1-3 s more system time than the next (on this VM, pages not
 * touched for a while are slower to hand out), which favoured whichever tool came second.
 */
export async function primeMemory(dir: string, bytes: number): Promise<void> {
  if (!isRoot) return;
  const scratch = await freshTmpfs(dir);
  try {
    const file = await open(join(scratch.dir, 'prime'), 'w');
    try {
      const block = Buffer.alloc(8 << 20, 1);
      for (let done = 0; done < bytes; done += block.byteLength) await file.write(block, 0, Math.min(block.byteLength, bytes - done));
    } finally {
      await file.close();
    }
  } finally {
    await scratch.release();
  }
}

export async function diskUsageBytes(path: string): Promise<number> {
  const out = await run({ argv: ['du', '-sb', path] });
  return Number(out.split(/\s/)[0]);
}

export async function freeBytes(path: string): Promise<number> {
  const out = await run({ argv: ['df', '-B1', '--output=avail', path] });
  return Number(out.trim().split('\n').at(-1));
}

/** Reads every file of a tree through a pipe (tar skips file contents when writing to /dev/null). */
export async function warmTree(dir: string): Promise<void> {
  await drain(['tar', '-cf', '-', '-C', dir, '.']);
}

export interface TreeStats {
  files: number;
  bytes: number;
}

/** Counts regular files and their bytes below `dir` (symlinks are not followed). */
export async function treeStats(dir: string): Promise<TreeStats> {
  const stats: TreeStats = { files: 0, bytes: 0 };
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    stats.files++;
    stats.bytes += (await lstat(join(entry.parentPath, entry.name))).size;
  }
  return stats;
}


/** Unmounts every mount point below `dir` (deepest first), e.g. after an interrupted restore. */
export async function unmountBelow(dir: string): Promise<void> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const points = mounts
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((p) => p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) await run({ argv: ['umount', p], cleanup: true }).catch(() => undefined);
}

/** Flushes dirty pages (the tree copy, the last repository writes) so they are not written back during a timed step. */
export async function syncDisks(): Promise<void> {
  await run({ argv: ['sync'] });
}
