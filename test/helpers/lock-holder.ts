/** Starts hold-lock.ts in its own process, for tests of commands that meet a held lock. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const HOLD_LOCK = join(import.meta.dirname, 'hold-lock.ts');

/** Resolves once the child holds the lock; end it with `releaseLock`. */
export async function holdLock(repoDir: string, password: string, mode: 'exclusive' | 'shared'): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [HOLD_LOCK, repoDir, password, mode], { stdio: 'pipe' });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.match(chunk.toString(), /^locked \d+/);
  return child;
}

export async function releaseLock(child: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
