/**
 * Packs that seal their blobs in place (`addSealing`, the worker path: the native addon
 * writes nonce, ciphertext and tag straight into the pack's bytes) hold exactly what the
 * readers expect: every blob opens, decompresses and matches its id, next to blobs added
 * already sealed, in memory packs and file packs alike (small blobs gathered, large ones
 * written on their own).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BlobOpener } from '../blob-opener.ts';
import { BlobSealer } from '../blob-sealer.ts';
import { DEFAULT_COMPRESSION } from '../compression.ts';
import { contentHash } from '../crypto/keyed-hash.ts';
import { generateMasterKey } from '../crypto/master-key.ts';
import { PackBuilder } from './pack-builder.ts';
import { FilePack } from './pack-file.ts';
import { packHeaderOf } from './pack-header.ts';

const key = generateMasterKey();

/** Random and compressible blobs, from empty-ish to larger than a file pack gathers. */
function plains(): Buffer[] {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(2000));
  return [randomBytes(100), text.subarray(0, 5000), randomBytes(300 * 1024), text, randomBytes(1), Buffer.concat([text, text, text, text, text, text, text])];
}

function fill(pack: PackBuilder | FilePack, blobs: readonly Buffer[]): void {
  const sealer = new BlobSealer(key, DEFAULT_COMPRESSION);
  blobs.forEach((plain, i) => {
    if (i % 3 === 2) {
      const r = sealer.seal(plain, 'data');
      pack.add({ id: r.id, type: 'data', rawLength: r.rawLength, compressed: r.compressed, sealed: r.sealed ?? new Uint8Array(0) });
      return;
    }
    const r = sealer.prepare(plain, 'data');
    assert.ok(r.data, 'a new blob has bytes to seal');
    pack.addSealing({ id: r.id, type: 'data', rawLength: r.rawLength, compressed: r.compressed, data: r.data }, key.encKey);
  });
}

function assertOpens(bytes: Buffer, blobs: readonly Buffer[]): void {
  const name = contentHash(bytes).toString('hex');
  const header = packHeaderOf(key.encKey, name, bytes);
  assert.equal(header.length, blobs.length);
  const opener = new BlobOpener(key);
  header.forEach((loc, i) => {
    const plain = opener.open(loc, bytes.subarray(loc.offset, loc.offset + loc.length));
    assert.ok(plain.equals(blobs[i] ?? Buffer.alloc(0)), `blob ${i}`);
  });
  assert.ok(header.some((l) => l.compressed) && header.some((l) => !l.compressed), 'both compressed and stored-as-is blobs');
}

/** Fills a FilePack with `blobs`: its file is as long as it says, named by its content hash, and every blob opens. */
function assertFilePackOpens(blobs: readonly Buffer[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-pack-sealing-'));
  try {
    const pack = new FilePack(join(dir, 'pack'));
    fill(pack, blobs);
    const { name, size } = pack.finish(key.encKey);
    const bytes = readFileSync(pack.path);
    assert.equal(bytes.byteLength, size);
    assert.equal(contentHash(bytes).toString('hex'), name);
    assertOpens(bytes, blobs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('packs sealing blobs in place', () => {
  it('an in-memory pack (PackBuilder), growing its buffer as it goes', () => {
    const blobs = plains();
    const builder = new PackBuilder(Buffer.allocUnsafe(1024));
    fill(builder, blobs);
    assertOpens(Buffer.from(builder.finish(key.encKey)), blobs);
  });

  it('a file pack whose small blobs fill the gather buffer many times over', () => {
    const text = Buffer.from('gathered and flushed\n'.repeat(200));
    // ~8 MiB of incompressible blobs through a 1 MiB gather buffer: flushes while sealing, and while appending sealed ones.
    assertFilePackOpens(Array.from({ length: 2100 }, (_, i) => (i % 7 === 6 ? Buffer.concat([text, Buffer.from(String(i))]) : randomBytes(4000 + i))));
  });

  it('a file pack (FilePack): its name is the content hash of what it wrote', () => {
    assertFilePackOpens(plains());
  });
});
