import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { inlineVerifier } from '../../repo/maintenance/blob-verifier.ts';
import { prewarmWorkers } from '../worker/worker-pool.ts';
import { verifierContract, verifierFixture } from './verifier.contract.ts';
import type { VerifierFixture } from './verifier.contract.ts';
import { WorkerBlobVerifier } from './worker-verifier.ts';

verifierContract('worker threads', (repo, opts) => new WorkerBlobVerifier(repo, { workers: 2, ...opts }));

describe('WorkerBlobVerifier', () => {
  let f: VerifierFixture;
  let verifier: WorkerBlobVerifier;
  before(async () => {
    f = await verifierFixture();
    verifier = new WorkerBlobVerifier(f.repo, { workers: 2 });
  });
  after(() => verifier.close());

  it('works the same on workers started ahead of it (prewarmWorkers)', async () => {
    prewarmWorkers(3);
    const warmed = new WorkerBlobVerifier(f.repo, { workers: 2 });
    try {
      assert.deepEqual(await warmed.verify('', f.damaged(), f.blobs), await inlineVerifier(f.repo).verify('', f.damaged(), f.blobs));
    } finally {
      await warmed.close();
    }
  });

  it('a warm worker no pool took does not keep the process alive', async () => {
    const script = `import { prewarmWorkers } from ${JSON.stringify(new URL('../worker/worker-pool.ts', import.meta.url).href)}; prewarmWorkers(2);`;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.status, 0, child.stderr);
    assert.ok(Date.now() - started < 20_000);
  });

  it('decodes a pack read into a buffer it lent (no copy), and takes back one not used', async () => {
    const expected = await inlineVerifier(f.repo).verify('', f.damaged(), f.blobs);
    for (let round = 0; round < 3; round++) {
      const room = verifier.bufferFor(f.pack.byteLength);
      assert.ok(room.buffer instanceof SharedArrayBuffer);
      const read = Buffer.from(room.buffer, room.byteOffset, f.pack.byteLength);
      f.damaged().copy(read);
      assert.deepEqual(await verifier.verify('', read, f.blobs), expected, `round ${round}`);
    }
    const lentBefore = new Set([verifier.bufferFor(f.pack.byteLength).buffer]);
    for (const b of lentBefore) verifier.giveBack(new Uint8Array(b));
    const again = verifier.bufferFor(f.pack.byteLength);
    assert.ok(lentBefore.has(again.buffer), 'a buffer given back is lent again, not a new one');
    verifier.giveBack(again);
  });
});
