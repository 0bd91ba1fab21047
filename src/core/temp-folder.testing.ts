/** Test helper: a temporary folder for one suite, made before its tests and removed after. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/** Call inside `describe`; the returned function gives the folder's path once the suite runs. */
export function suiteFolder(prefix: string): () => string {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  return () => dir;
}
