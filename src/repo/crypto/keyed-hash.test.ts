import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isHoldfastError } from '../../core/errors.ts';
import { BlobHasher, contentHash } from './keyed-hash.ts';

// From the official BLAKE3 test vectors (test_vectors.json): key "whats the Elvish
// word for friend", input = the first n bytes of the repeating sequence 0, 1, … 250.
const VECTOR_KEY = Buffer.from('whats the Elvish word for friend');
const KEYED_VECTORS: [number, string][] = [
  [0, '92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26'],
  [1, '6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b'],
];
const UNKEYED_EMPTY = 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262';

function vectorInput(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
}

describe('BlobHasher', () => {
  it('matches the BLAKE3 keyed-hash test vectors', () => {
    const hasher = new BlobHasher(VECTOR_KEY);
    for (const [n, hex] of KEYED_VECTORS) assert.equal(hasher.idHex(vectorInput(n)), hex);
  });

  it('pins a Holdfast vector (blob ids are part of the on-disk format)', () => {
    const hasher = new BlobHasher(Buffer.from(Array.from({ length: 32 }, (_, i) => i)));
    assert.equal(hasher.idHex(Buffer.from('holdfast')), 'db3d26f16e63648d087464b811162e3d97fb7d911c8d7d959a480f73735af326');
  });

  it('is stable across calls and independent of other hashers', () => {
    const data = randomBytes(100_000);
    const a = new BlobHasher(VECTOR_KEY);
    const b = new BlobHasher(randomBytes(32));
    const first = a.id(data);
    b.id(randomBytes(10));
    a.id(randomBytes(5000));
    assert.deepEqual(a.id(data), first);
    assert.equal(a.idHex(data), first.toString('hex'));
    assert.equal(first.length, 32);
  });

  it('differs per key', () => {
    const data = Buffer.from('same chunk');
    assert.notDeepEqual(new BlobHasher(randomBytes(32)).id(data), new BlobHasher(randomBytes(32)).id(data));
    assert.notDeepEqual(new BlobHasher(VECTOR_KEY).id(data), contentHash(data));
  });

  it('hashes exactly the bytes of a view', () => {
    const outer = randomBytes(1000);
    const hasher = new BlobHasher(VECTOR_KEY);
    assert.deepEqual(hasher.id(outer.subarray(100, 200)), hasher.id(Buffer.from(outer.subarray(100, 200))));
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => new BlobHasher(randomBytes(16)), (err) => isHoldfastError(err, 'INTERNAL'));
  });
});

describe('contentHash', () => {
  it('is unkeyed BLAKE3', () => {
    assert.equal(contentHash(new Uint8Array(0)).toString('hex'), UNKEYED_EMPTY);
  });
});
