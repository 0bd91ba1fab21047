import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createBlobCompressor, createBlobDecompressor, decompressBlob } from './compression.ts';

const text = Buffer.from('holdfast compresses text like this line. '.repeat(4000));
const cases: Array<[string, Buffer, boolean]> = [
  ['compressible text', text, true],
  ['random bytes (stored as is)', randomBytes(100_000), false],
  ['tiny input (stored as is)', Buffer.from('short'), false],
];

describe('blob compression', () => {
  for (const native of [true, false]) {
    for (const [name, input, expectCompressed] of cases) {
      it(`${native ? 'native' : 'node:zlib'}: ${name}`, () => {
        const c = createBlobCompressor({ algorithm: 'zstd', level: 3 }, native);
        const { data, compressed } = c.compress(input);
        assert.equal(compressed, expectCompressed);
        const back = compressed ? decompressBlob(data, input.byteLength) : Buffer.from(data);
        assert.deepEqual(back, input);
      });
    }
  }

  it('the native and node:zlib compressors write the same zstd format', () => {
    const a = createBlobCompressor({ algorithm: 'zstd', level: 3 }, true).compress(text);
    const b = createBlobCompressor({ algorithm: 'zstd', level: 3 }, false).compress(text);
    assert.deepEqual(decompressBlob(a.data, text.byteLength), decompressBlob(b.data, text.byteLength));
  });

  it('the native decompressor reads what either compressor wrote, and checks the length', () => {
    const d = createBlobDecompressor(true);
    for (const native of [true, false]) {
      const { data } = createBlobCompressor({ algorithm: 'zstd', level: 3 }, native).compress(text);
      assert.deepEqual(d(data, text.byteLength), text);
      assert.throws(() => d(data, text.byteLength + 1));
    }
  });

  it('stream tuning (longer minimum matches) writes smaller dumps, and either tuning reads back', () => {
    // Dump-like rows: a hex digest, a number and a timestamp per line, all deterministic.
    const rows = Array.from({ length: 4000 }, (_, i) => {
      const digest = createHash('md5').update(String(i)).digest('hex');
      return `${i}\t${digest}\t${(i * 7919) % 100000}.${i % 97}\t2021-0${(i % 9) + 1}-1${i % 10} 0${i % 10}:${10 + (i % 50)}:00+00\n`;
    });
    const dump = Buffer.from(rows.join(''));
    for (const native of [true, false]) {
      const c = createBlobCompressor({ algorithm: 'zstd', level: 3 }, native);
      const files = Buffer.from(c.compress(dump, 'files').data);
      const stream = Buffer.from(c.compress(dump, 'stream').data);
      assert.ok(stream.byteLength < files.byteLength, `${native ? 'native' : 'node:zlib'}: stream ${stream.byteLength} >= files ${files.byteLength}`);
      assert.deepEqual(decompressBlob(files, dump.byteLength), dump);
      assert.deepEqual(decompressBlob(stream, dump.byteLength), dump);
      assert.deepEqual(createBlobDecompressor(true)(stream, dump.byteLength), dump);
    }
  });

  it("algorithm 'none' never compresses", () => {
    assert.equal(createBlobCompressor({ algorithm: 'none', level: 0 }).compress(text).compressed, false);
  });
});
