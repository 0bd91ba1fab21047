import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isHoldfastError } from '../../core/errors.ts';
import { NONCE_BYTES, SEAL_OVERHEAD, nativeSealing, open, openInto, seal, sealInto } from './aead.ts';

const key = randomBytes(32);
const authFailed = (what: string) => (err: unknown) =>
  isHoldfastError(err, 'AUTH_FAILED') && err.message.includes(what);

describe('seal/open', () => {
  for (const size of [0, 1, 8 * 1024 * 1024]) {
    it(`round-trips ${size} bytes, with and without aad`, () => {
      const plain = randomBytes(size);
      for (const aad of [undefined, Buffer.from('holdfast test v1')]) {
        const sealed = seal(key, plain, aad);
        assert.equal(sealed.length, size + SEAL_OVERHEAD);
        assert.ok(open(key, sealed, aad, 'x').equals(plain));
      }
    });
  }

  it('uses a fresh nonce for every message', () => {
    const plain = Buffer.from('same message');
    assert.notDeepEqual(seal(key, plain).subarray(0, 12), seal(key, plain).subarray(0, 12));
  });

  it('opens the documented layout nonce || ciphertext || tag (NIST GCM test case 14)', () => {
    const sealed = Buffer.concat([
      Buffer.alloc(12),
      Buffer.from('cea7403d4d606b6e074ec5d3baf39d18', 'hex'),
      Buffer.from('d0d1c8a799996bf0265b98b5d48ab919', 'hex'),
    ]);
    assert.deepEqual(open(Buffer.alloc(32), sealed, undefined, 'vector'), Buffer.alloc(16));
  });

  it('opens a message that sits inside a larger buffer', () => {
    const sealed = seal(key, Buffer.from('inner'));
    const outer = Buffer.concat([Buffer.from('prefix'), sealed, Buffer.from('suffix')]);
    const view = outer.subarray(6, 6 + sealed.length);
    assert.equal(open(key, view, undefined, 'x').toString(), 'inner');
  });

  it('rejects every single flipped bit (nonce, ciphertext and tag)', () => {
    const aad = Buffer.from('aad');
    const sealed = seal(key, randomBytes(40), aad);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const bad = Buffer.from(sealed);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      assert.throws(() => open(key, bad, aad, `pack data/ab12 blob ${bit}`), authFailed(`blob ${bit}`));
    }
  });

  it('rejects truncated or extended input as AUTH_FAILED, not RangeError', () => {
    const sealed = seal(key, randomBytes(40));
    for (let length = 0; length < sealed.length; length++) {
      assert.throws(() => open(key, sealed.subarray(0, length), undefined, 'short'), authFailed('short'));
    }
    assert.throws(() => open(key, Buffer.concat([sealed, Buffer.of(0)]), undefined, 'long'), authFailed('long'));
  });

  it('rejects a wrong, missing or unexpected aad', () => {
    const sealed = seal(key, Buffer.from('data'), Buffer.from('snapshot'));
    assert.throws(() => open(key, sealed, Buffer.from('index'), 'wrong aad'), authFailed('wrong aad'));
    assert.throws(() => open(key, sealed, undefined, 'no aad'), authFailed('no aad'));
    const plainSealed = seal(key, Buffer.from('data'));
    assert.throws(() => open(key, plainSealed, Buffer.from('x'), 'extra aad'), authFailed('extra aad'));
  });

  it('rejects a wrong key', () => {
    const sealed = seal(key, Buffer.from('data'));
    assert.throws(() => open(randomBytes(32), sealed, undefined, 'other key'), authFailed('other key'));
  });

  it('refuses keys that are not 32 bytes', () => {
    assert.throws(() => seal(randomBytes(16), Buffer.from('x')), (err) => isHoldfastError(err, 'INTERNAL'));
    assert.throws(() => open(randomBytes(31), Buffer.alloc(40), undefined, 'x'), (err) => isHoldfastError(err, 'INTERNAL'));
  });
});

describe('sealInto (native addon and node:crypto)', () => {
  it('the native addon is built here (npm install builds native/ with node-gyp)', () => {
    assert.equal(nativeSealing, true, 'holdfast-native is not loadable: run `npm install` (node-gyp) — backups then fall back to the slower node:crypto path');
  });

  for (const preferNative of [true, false]) {
    const path = preferNative ? 'native' : 'node:crypto';
    it(`${path}: writes what open() accepts, at the offset, touching nothing around it, with and without aad`, () => {
      for (const size of [0, 1, 1000, 3 * 1024 * 1024]) {
        for (const aad of [undefined, Buffer.from('holdfast pack header v1')]) {
          const plain = randomBytes(size);
          const out = Buffer.alloc(size + SEAL_OVERHEAD + 40, 0xee);
          const n = sealInto(key, plain, out, 17, { ...(aad ? { aad } : {}), preferNative });
          assert.equal(n, size + SEAL_OVERHEAD);
          assert.ok(open(key, out.subarray(17, 17 + n), aad, 'x').equals(plain), `${size} bytes`);
          assert.ok(out.subarray(0, 17).every((b) => b === 0xee) && out.subarray(17 + n).every((b) => b === 0xee), 'bytes outside the sealed range are untouched');
          if (aad) assert.throws(() => open(key, out.subarray(17, 17 + n), undefined, 'blob 1'), authFailed('blob 1'));
        }
      }
    });

    it(`${path}: a fresh nonce every call; another key cannot open it; switching keys works`, () => {
      const other = randomBytes(32);
      const plain = Buffer.from('same message');
      const a = Buffer.alloc(plain.length + SEAL_OVERHEAD);
      const b = Buffer.alloc(plain.length + SEAL_OVERHEAD);
      sealInto(key, plain, a, 0, { preferNative });
      sealInto(other, plain, b, 0, { preferNative });
      assert.notDeepEqual(a.subarray(0, 12), b.subarray(0, 12));
      assert.throws(() => open(other, a, undefined, 'blob a'), authFailed('blob a'));
      assert.ok(open(other, b, undefined, 'b').equals(plain));
      sealInto(key, plain, b, 0, { preferNative });
      assert.ok(open(key, b, undefined, 'b').equals(plain), 'back to the first key');
    });

    it(`${path}: refuses an out without room, and a key of the wrong size`, () => {
      assert.throws(() => sealInto(key, Buffer.alloc(10), Buffer.alloc(10 + SEAL_OVERHEAD), 1, { preferNative }));
      assert.throws(() => sealInto(randomBytes(16), Buffer.alloc(10), Buffer.alloc(64), 0, { preferNative }));
    });
  }

  it('native: openInto refuses an out that overlaps the sealed bytes anywhere but exactly in place', { skip: !nativeSealing }, () => {
    const sealed = seal(key, randomBytes(100));
    assert.throws(() => openInto(key, sealed, { out: sealed, offset: 0 }, 'x'), /out overlaps the input/);
    assert.throws(() => openInto(key, sealed, { out: sealed, offset: NONCE_BYTES + 1 }, 'x'), /out overlaps the input|no room/);
  });

  it('native: refuses an out that overlaps the plaintext', { skip: !nativeSealing }, () => {
    const buf = Buffer.alloc(4096);
    assert.throws(() => sealInto(key, buf.subarray(0, 100), buf, 50), /overlaps/);
  });

  it('works in a worker thread too (each thread has its own cipher context)', async () => {
    const { Worker } = await import('node:worker_threads');
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const native = require('holdfast-native');
      const out = Buffer.alloc(workerData.plain.length + 28);
      parentPort.postMessage(out.subarray(0, native.sealInto(workerData.key, workerData.plain, out, 0)));`;
    const plain = randomBytes(5000);
    const sealed = await new Promise<Uint8Array>((resolve, reject) => {
      const w = new Worker(source, { eval: true, workerData: { key, plain } });
      w.once('message', resolve);
      w.once('error', reject);
    });
    assert.ok(open(key, sealed, undefined, 'from a worker').equals(plain));
  });
});

describe('openInto (native addon and node:crypto)', () => {
  for (const preferNative of [true, false]) {
    const path = preferNative ? 'native' : 'node:crypto';
    it(`${path}: opens what seal wrote into the caller's buffer at the offset, with and without aad`, () => {
      for (const size of [0, 1, 1000, 3 * 1024 * 1024]) {
        for (const aad of [undefined, Buffer.from('holdfast pack header v1')]) {
          const plain = randomBytes(size);
          const out = Buffer.alloc(size + 20, 0xee);
          const n = openInto(key, seal(key, plain, aad), { out, offset: 9 }, 'x', { ...(aad ? { aad } : {}), preferNative });
          assert.equal(n, size);
          assert.ok(out.subarray(9, 9 + n).equals(plain), `${size} bytes`);
          assert.ok(out.subarray(0, 9).every((b) => b === 0xee) && out.subarray(9 + n).every((b) => b === 0xee), 'bytes outside the range are untouched');
        }
      }
    });

    it(`${path}: decrypts in place, over its own ciphertext (just after the nonce)`, () => {
      for (const size of [0, 1, 1000, 3 * 1024 * 1024]) {
        const plain = randomBytes(size);
        const sealed = seal(key, plain);
        const n = openInto(key, sealed, { out: sealed, offset: NONCE_BYTES }, 'x', { preferNative });
        assert.equal(n, size);
        assert.ok(sealed.subarray(NONCE_BYTES, NONCE_BYTES + n).equals(plain), `${size} bytes`);
      }
      const secret = Buffer.from('secret rows '.repeat(100));
      const tampered = seal(key, secret);
      tampered[30] = (tampered[30] as number) ^ 1;
      assert.throws(() => openInto(key, tampered, { out: tampered, offset: NONCE_BYTES }, 'blob in place', { preferNative }), authFailed('blob in place'));
      // Zeros from the addon, the untouched ciphertext from node:crypto: either way no plaintext.
      assert.ok(!tampered.includes(Buffer.from('secret rows secret rows')), 'no unauthenticated plaintext is left');
    });

    it(`${path}: a flipped bit, a wrong key or a wrong aad is AUTH_FAILED naming the object, and leaves no plaintext`, () => {
      const plain = Buffer.from('secret rows '.repeat(100));
      const aad = Buffer.from('holdfast index v1');
      const sealed = seal(key, plain, aad);
      const cases: Array<{ name: string; sealed: Buffer; key: Uint8Array; aad: Uint8Array | undefined }> = [
        { name: 'flipped', sealed: Buffer.from(sealed).fill(sealed[40]! ^ 1, 40, 41), key, aad },
        { name: 'other key', sealed, key: randomBytes(32), aad },
        { name: 'no aad', sealed, key, aad: undefined },
      ];
      for (const c of cases) {
        const out = Buffer.alloc(plain.length);
        assert.throws(() => openInto(c.key, c.sealed, { out, offset: 0 }, `blob ${c.name}`, { ...(c.aad ? { aad: c.aad } : {}), preferNative }), authFailed(`blob ${c.name}`));
        assert.ok(out.every((b) => b === 0), `${c.name}: nothing decrypted is left in out`);
      }
      assert.throws(() => openInto(key, sealed.subarray(0, 20), { out: Buffer.alloc(8), offset: 0 }, 'blob short', { preferNative }), authFailed('blob short'));
      const out = Buffer.alloc(plain.length);
      assert.equal(openInto(key, sealed, { out, offset: 0 }, 'again', { aad, preferNative }), plain.length, 'the context recovers after a failure');
      assert.ok(out.equals(plain));
    });
  }
});
