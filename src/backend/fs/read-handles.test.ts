import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { randomId } from '../../core/ids.ts';
import { suiteFolder } from '../../core/temp-folder.testing.ts';
import { FsStorage } from './fs-storage.ts';
import { ReadHandles } from './read-handles.ts';

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

describe('ReadHandles', () => {
  const dir = suiteFolder('holdfast-handles-');

  it('reads ranges through one kept handle and clamps at the end of the file', async () => {
    const file = join(dir(), 'a');
    await writeFile(file, Buffer.from('0123456789'));
    const handles = new ReadHandles(2);
    const before = await openFds();
    assert.equal((await handles.read(file, { offset: 2, length: 3 })).toString(), '234');
    assert.equal((await handles.read(file, { offset: 8, length: 5 })).toString(), '89');
    assert.equal((await handles.read(file, { offset: 12, length: 5 })).byteLength, 0);
    assert.equal(await openFds(), before + 1, 'one handle kept open for three reads');
    handles.closeAll();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await openFds(), before);
  });

  it('closes the least recently used handle past its limit, after the reads in flight', async () => {
    const files = ['x', 'y', 'z'].map((n) => join(dir(), n));
    for (const f of files) await writeFile(f, Buffer.alloc(1 << 20, f.at(-1)));
    const handles = new ReadHandles(2);
    const before = await openFds();
    const reads = files.map((f) => handles.read(f, { offset: 0, length: 1 << 20 }));
    const got = await Promise.all(reads);
    got.forEach((b, i) => assert.ok(b.every((c) => c === files[i]!.charCodeAt(files[i]!.length - 1))));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await openFds(), before + 2);
    handles.closeAll();
  });

  it('a missing file fails the read and is not kept', async () => {
    const handles = new ReadHandles();
    await assert.rejects(handles.read(join(dir(), 'missing'), { offset: 0, length: 1 }), { code: 'ENOENT' });
    await writeFile(join(dir(), 'missing'), 'now here');
    assert.equal((await handles.read(join(dir(), 'missing'), { offset: 0, length: 3 })).toString(), 'now');
    handles.closeAll();
    await unlink(join(dir(), 'missing'));
  });
});

describe('FsStorage pack handles', () => {
  it('a pack deleted after a range read reads as missing, and a rewritten one anew', async () => {
    const root = await mkdtemp(join(tmpdir(), 'holdfast-packs-'));
    const storage = new FsStorage(join(root, 'repo'));
    await storage.create();
    const handle = { type: 'data' as const, name: randomId() };
    await storage.put(handle, Buffer.from('first bytes'));
    assert.equal((await storage.get(handle, { offset: 0, length: 5 })).toString(), 'first');
    await storage.delete(handle);
    await assert.rejects(storage.get(handle, { offset: 0, length: 5 }), { code: 'OBJECT_NOT_FOUND' });
    await storage.put(handle, Buffer.from('other bytes'));
    assert.equal((await storage.get(handle, { offset: 0, length: 5 })).toString(), 'other');
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });
});
