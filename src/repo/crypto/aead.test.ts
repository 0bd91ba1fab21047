import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isHoldfastError } from '../../core/errors.ts';
import { SEAL_OVERHEAD, open, seal } from './aead.ts';

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
