import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Blake3Hasher, blake3 } from '@napi-rs/blake-hash';
import { NativeBlobVerifier, nativeVerify } from './native-verifier.ts';
import { verifierContract, verifierFixture } from './verifier.contract.ts';

const native = nativeVerify();

describe('native verification (holdfast-native)', () => {
  it('is built, and finds zstd in this node', () => {
    assert.ok(native, 'holdfast-native has no verifyBlobs: run `npm install` (node-gyp); check then falls back to worker threads');
  });

  it('BLAKE3 (plain and keyed) matches @napi-rs/blake-hash at every tree shape', () => {
    const { blake3: ours } = createRequire(import.meta.url)('holdfast-native') as { blake3(data: Uint8Array, key?: Uint8Array): Buffer };
    const key = randomBytes(32);
    // Around block (64), chunk (1024) and 8-chunk (vector) edges, and subtrees that are not powers of two.
    const lengths = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2048, 3071, 7 * 1024, 8 * 1024, 8 * 1024 + 1, 9 * 1024, 16 * 1024 - 1, 17 * 1024, 100_000, (1 << 20) + 12_345];
    for (const n of lengths) {
      const data = randomBytes(n);
      assert.equal(ours(data).toString('hex'), blake3(data).toString('hex'), `plain, ${n} bytes`);
      const keyed = Blake3Hasher.newKeyed(key).update(data).digest('hex');
      assert.equal(ours(data, key).toString('hex'), keyed, `keyed, ${n} bytes`);
    }
    assert.throws(() => ours(Buffer.alloc(1), Buffer.alloc(31)), /32-byte key/);
  });

  it('refuses a table that is not 48 bytes a blob, naming it', async () => {
    if (!native) return;
    const f = await verifierFixture();
    const k = Buffer.alloc(32);
    assert.throws(() => native.verifyBlobs(k, k, k, f.pack, Buffer.alloc(47)), /48 bytes per blob/);
    assert.throws(() => native.verifyBlobs(k, k, k.subarray(1), f.pack, Buffer.alloc(48)), /keys are 32 bytes/);
  });
});

if (native) {
  verifierContract('native addon', (repo, opts) => new NativeBlobVerifier(repo, native, { threads: 2, ...opts }));
}
