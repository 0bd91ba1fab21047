import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError, type ErrorCode } from '../../core/errors.ts';
import { randomId } from '../../core/ids.ts';
import { storageContract } from '../storage.contract.ts';
import { FsStorage } from './fs-storage.ts';

async function tempRoot(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-fs-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

storageContract('fs', async () => {
  const { dir, cleanup } = await tempRoot();
  return { storage: new FsStorage(join(dir, 'repo')), cleanup };
});

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, ...mentions: string[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isHoldfastError(err, code), `expected ${code}, got ${String(err)}`);
    for (const m of mentions) assert.ok(err.message.includes(m), `"${err.message}" lacks "${m}"`);
    assert.ok(err.cause !== undefined, 'cause attached');
    return true;
  });
}

describe('FsStorage', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let storage: FsStorage;

  before(async () => {
    ({ dir: root, cleanup } = await tempRoot());
  });
  after(() => cleanup());

  async function fresh(name: string): Promise<FsStorage> {
    storage = new FsStorage(join(root, name));
    await storage.create();
    return storage;
  }

  it('creates the folder layout with 256 data subfolders', async () => {
    await fresh('layout');
    assert.deepEqual((await readdir(storage.location)).sort(), ['data', 'index', 'keys', 'locks', 'snapshots']);
    const sub = await readdir(join(storage.location, 'data'));
    assert.equal(sub.length, 256);
    assert.ok(sub.includes('00') && sub.includes('ff'));
  });

  it('reads a whole object straight into the buffer it is given when it fits (check --read-data shares it with workers)', async () => {
    await fresh('into');
    const h = { type: 'data' as const, name: randomId() };
    const bytes = Buffer.from('pack bytes '.repeat(300));
    await storage.put(h, bytes);
    const room = new Uint8Array(new SharedArrayBuffer(4096));
    const got = await storage.get(h, undefined, room);
    assert.equal(got.buffer, room.buffer);
    assert.ok(got.equals(bytes));
    const own = await storage.get(h, undefined, new Uint8Array(10));
    assert.ok(own.equals(bytes) && !(own.buffer instanceof SharedArrayBuffer), 'too small: a buffer of its own');
  });

  it('stores a data object under the subfolder named by its first two characters', async () => {
    await fresh('placement');
    const id = randomId();
    await storage.put({ type: 'data', name: id }, Buffer.from('x'));
    assert.deepEqual(await readdir(join(storage.location, 'data', id.slice(0, 2))), [id]);
  });

  it('hides a leftover temporary file and sweeps it once stale', async () => {
    await fresh('leftover');
    const id = randomId();
    const temp = join(storage.location, 'data', id.slice(0, 2), '.tmp-0123456789abcdef');
    await writeFile(temp, Buffer.alloc(1000, 7));
    await utimes(temp, new Date('2030-01-01T11:00:00Z'), new Date('2030-01-01T11:00:00Z'));
    await writeFile(join(storage.location, '.tmp-config-leftover'), 'partial config');
    await utimes(join(storage.location, '.tmp-config-leftover'), new Date(0), new Date(0));

    for await (const info of storage.list('data')) assert.fail(`listed ${info.name}`);
    assert.equal(await storage.exists(), false);
    assert.equal(await storage.removeStaleTempFiles(new Date('2030-01-01T10:00:00Z')), 1, 'only the old config temp file');
    assert.equal(await storage.removeStaleTempFiles(new Date('2030-01-01T11:30:00Z')), 1);
    assert.deepEqual(await readdir(join(storage.location, 'data', id.slice(0, 2))), []);
  });

  it('sweeps only temporary files, however old the objects are', async () => {
    await fresh('old-objects');
    const id = randomId();
    await storage.put({ type: 'data', name: id }, Buffer.from('pack'));
    await storage.put({ type: 'config', name: '' }, Buffer.from('config'));
    await mkdir(join(storage.location, '.tmp-folder'));
    const longAgo = new Date('2001-01-01T00:00:00Z');
    for (const rel of [`data/${id.slice(0, 2)}/${id}`, 'config', '.tmp-folder']) await utimes(join(storage.location, rel), longAgo, longAgo);

    assert.equal(await storage.removeStaleTempFiles(new Date()), 0);
    assert.equal((await storage.get({ type: 'data', name: id })).toString(), 'pack');
    assert.equal(await storage.exists(), true);
  });

  it('removes its temporary file when the rename fails', async () => {
    await fresh('failed-rename');
    const id = randomId();
    const folder = join(storage.location, 'data', id.slice(0, 2));
    await mkdir(join(folder, id, 'occupied'), { recursive: true });
    await rejectsWith(storage.put({ type: 'data', name: id }, Buffer.from('x')), 'STORAGE_IO', id, storage.location);
    assert.deepEqual(await readdir(folder), [id]);
  });

  it('recreates a missing data subfolder on put', async () => {
    await fresh('missing-subfolder');
    const id = `ab${randomId().slice(2)}`;
    await rm(join(storage.location, 'data', 'ab'), { recursive: true });
    await storage.put({ type: 'data', name: id }, Buffer.from('x'));
    assert.equal((await storage.get({ type: 'data', name: id })).toString(), 'x');
  });

  it('fails a put into a repository that was never created with STORAGE_IO', async () => {
    const missing = new FsStorage(join(root, 'never-created'));
    assert.equal(await missing.exists(), false);
    await rejectsWith(missing.put({ type: 'keys', name: 'k' }, Buffer.from('x')), 'STORAGE_IO', 'keys/k');
  });

  it('maps a real ENOTDIR to STORAGE_IO naming object and location', async () => {
    await fresh('enotdir');
    await rm(join(storage.location, 'keys'), { recursive: true });
    await writeFile(join(storage.location, 'keys'), 'not a folder');
    await rejectsWith(storage.get({ type: 'keys', name: 'k1' }), 'STORAGE_IO', 'keys/k1', storage.location);
    await rejectsWith(storage.stat({ type: 'keys', name: 'k1' }), 'STORAGE_IO', 'keys/k1');
    await rejectsWith(storage.put({ type: 'keys', name: 'k1' }, Buffer.from('x')), 'STORAGE_IO', 'keys/k1');
    await rejectsWith(
      (async () => {
        for await (const _ of storage.list('keys'));
      })(),
      'STORAGE_IO',
      'keys',
    );
  });

  it('maps a real EISDIR to STORAGE_IO on get, ranged get and stat', async () => {
    await fresh('eisdir');
    const id = randomId();
    await mkdir(join(storage.location, 'data', id.slice(0, 2), id));
    const h = { type: 'data', name: id } as const;
    await rejectsWith(storage.get(h), 'STORAGE_IO', id, 'folder');
    await rejectsWith(storage.get(h, { offset: 0, length: 1 }), 'STORAGE_IO', id);
    await rejectsWith(storage.stat(h), 'STORAGE_IO', id);
  });

  const isRoot = process.getuid?.() === 0;
  it('maps a real EACCES to STORAGE_PERMISSION', { skip: isRoot && 'root ignores file modes' }, async () => {
    await fresh('eacces');
    await storage.put({ type: 'keys', name: 'k1' }, Buffer.from('x'));
    await chmod(join(storage.location, 'keys'), 0o000);
    try {
      await rejectsWith(storage.get({ type: 'keys', name: 'k1' }), 'STORAGE_PERMISSION', 'keys/k1', 'permission denied');
    } finally {
      await chmod(join(storage.location, 'keys'), 0o700);
    }
  });
});
