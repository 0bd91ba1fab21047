/**
 * The "tree" dataset: a per-run cp -a of the pristine kernel tree, restored into a fresh
 * tmpfs. "tree-s3" is the same data and steps with the repositories on the bench's MinIO.
 */
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { modifyTree, copyTree, type TreeChange } from '../data/tree.ts';
import { freshTmpfs, primeMemory, treeStats, warmTree, type TreeStats } from '../host.ts';
import { measure } from '../measure.ts';
import type { RepoStore } from '../storage/repo-store.ts';
import type { DatasetDriver, RestoreOutcome, RunContext } from './driver.ts';

export interface TreeVariant {
  name: 'tree' | 'tree-s3';
  /** Where the repositories go (default: local directories). */
  store?: RepoStore;
  /** Printed after the tree's own notes. */
  notes?: string[];
}

export function treeDriver(pristineDir: string, variant: TreeVariant = { name: 'tree' }): DatasetDriver {
  let workDir = '';
  let before: TreeStats | undefined;
  let after: TreeStats | undefined;
  let change: TreeChange | undefined;

  const verify = async (restoredRoot: string): Promise<string | undefined> => {
    const got = await treeStats(restoredRoot);
    const want = after ?? before;
    if (want === undefined || (got.files === want.files && got.bytes === want.bytes)) return undefined;
    return `restored ${got.files} files / ${got.bytes} bytes, expected ${want.files} / ${want.bytes}`;
  };

  return {
    name: variant.name,
    notes: [
      'MB/s = logical bytes of the tree (regular files) / wall time; every backup starts from a warm page cache.',
      'restore = `restore latest --target` into a new tmpfs per restore (file count and bytes verified), after as many bytes were written to and freed from another tmpfs, so every tool restores into recently used memory.',
      ...(variant.notes ?? []),
    ],
    ...(variant.store ? { store: variant.store } : {}),
    title() {
      const size = before ? `${(before.bytes / 1e6).toFixed(1)} MB, ${before.files.toLocaleString('en')} files` : '?';
      const inc = change ? `; incremental: ${change.changedFiles} files appended to, ${change.newFiles} new` : '';
      return `Linux source tree ${basename(pristineDir)} (${size})${inc}`;
    },
    async prepareRun(ctx: RunContext) {
      const parent = join(ctx.runDir, variant.name);
      await rm(parent, { recursive: true, force: true });
      await mkdir(parent, { recursive: true });
      workDir = join(parent, basename(pristineDir));
      await copyTree(pristineDir, workDir);
      before = await treeStats(workDir);
      after = undefined;
      return before.bytes;
    },
    warm: () => warmTree(workDir),
    baselines: async () => ({}),
    backup: (tool, repo) => tool.backupDir(repo, workDir),
    async change() {
      change = await modifyTree(workDir);
      after = await treeStats(workDir);
      return after.bytes;
    },
    async restore(tool, repo, ctx): Promise<RestoreOutcome> {
      await primeMemory(join(ctx.runDir, 'mnt', 'prime'), (after ?? before)?.bytes ?? 0);
      const target = await freshTmpfs(join(ctx.runDir, 'mnt', `restore-${tool.name}`));
      try {
        const sample = await measure(tool.restore(repo, target.dir), ctx);
        const mismatch = await verify(target.dir);
        return mismatch === undefined ? { sample } : { sample, mismatch };
      } finally {
        await target.release();
      }
    },
    async finishRun(keep) {
      if (!keep && workDir) await rm(join(workDir, '..'), { recursive: true, force: true });
    },
  };
}
