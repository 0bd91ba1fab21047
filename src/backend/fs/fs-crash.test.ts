import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomId } from '../../core/ids.ts';
import { suiteFolder } from '../../core/temp-folder.testing.ts';
import { FsStorage } from './fs-storage.ts';

const OBJECT_SIZE = 8 * 1024 * 1024;
const storageModule = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), 'fs-storage.ts')).href;

/** A child that overwrites one object forever, each version filled with one byte value. */
function writerScript(root: string, name: string): string {
  return `
    import { FsStorage } from ${JSON.stringify(storageModule)};
    const storage = new FsStorage(${JSON.stringify(root)});
    await storage.create();
    for (let i = 0; ; i++) {
      await storage.put({ type: 'data', name: ${JSON.stringify(name)} }, Buffer.alloc(${OBJECT_SIZE}, i % 256));
      process.stdout.write('put\\n');
    }`;
}

/** Runs the writer until it has completed `puts` puts, waits `extraMs`, then kills it with SIGKILL. */
async function killWriterMidway(root: string, name: string, puts: number, extraMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', writerScript(root, name)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString().split('\n').length - 1;
      if (seen >= puts) resolve();
    });
    child.once('exit', (code) => reject(new Error(`writer exited early with ${String(code)}`)));
  });
  await sleep(extraMs);
  child.kill('SIGKILL');
  await exited;
}

describe('FsStorage under SIGKILL', () => {
  const folder = suiteFolder('holdfast-crash-');

  it('never exposes a partial object when the writer is killed mid-put', async () => {
    const root = join(folder(), 'repo');
    const name = randomId();
    const handle = { type: 'data', name } as const;
    for (const extraMs of [0, 3, 7, 15]) {
      await killWriterMidway(root, name, 2, extraMs);
      const storage = new FsStorage(root);
      const got = await storage.get(handle);
      assert.equal(got.length, OBJECT_SIZE);
      assert.ok(got.equals(Buffer.alloc(OBJECT_SIZE, got[0])), 'one whole version');
      const listed = [];
      for await (const info of storage.list('data')) listed.push(info);
      assert.deepEqual(listed, [{ name, size: OBJECT_SIZE }]);
    }
    await new FsStorage(root).removeStaleTempFiles(new Date(Date.now() + 3600_000));
    assert.deepEqual(await readdir(join(root, 'data', name.slice(0, 2))), [name]);
  });
});
