/**
 * `holdfast mover` as a mover Job runs it, on plain folders: each volume's snapshot takes
 * the previous snapshot with the same parent labels as its parent (never another volume's,
 * though every mover has the same host name and path); a volume recreated from a snapshot
 * (new inodes and ctimes, same sizes and mtimes) is read again only where it changed; the
 * JSON summary is printed and written to the result file; `restore-volume` writes the
 * volume's files into the target; a wrong password fails with one clear line.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliFor, show, type Cli } from '../helpers/cli.ts';

let dir: string;
let cli: Cli;

interface Summary { snapshot_id: string; parent: string | null; bytes_read: number; files_changed: number; files_unchanged: number; bytes_total: number }

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-mover-'));
  cli = cliFor(join(dir, 'repo'), 'pw');
  const init = await cli.run(['init']);
  assert.equal(init.code, 0, show(init));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function volume(name: string, seed: number): Promise<string> {
  const d = join(dir, name);
  await mkdir(join(d, 'sub'), { recursive: true });
  await writeFile(join(d, 'same-size.bin'), Buffer.alloc(100_000, seed));
  await writeFile(join(d, 'sub', 'note.txt'), `volume ${name}\n`);
  const t = new Date('2026-01-02T03:04:05Z');
  for (const f of ['same-size.bin', 'sub/note.txt']) await utimes(join(d, f), t, t);
  return d;
}

async function backupVolume(path: string, label: string, resultFile?: string): Promise<Summary> {
  const r = await cli.run(['mover', 'backup-volume', '--path', path, '--label', `holdfast.dev/volume=${label}`, '--parent-label', `holdfast.dev/volume=${label}`, ...(resultFile ? ['--result-file', resultFile] : [])]);
  assert.equal(r.code, 0, show(r));
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { message_type: string });
  const summary = lines.at(-1) as unknown as Summary & { message_type: string };
  assert.equal(summary.message_type, 'summary');
  return summary;
}

describe('holdfast mover', () => {
  it('keeps each volume incremental to its own previous snapshot, by size and mtime only', async () => {
    const a = await volume('a', 1);
    const b = await volume('b', 2);
    const a1 = await backupVolume(a, 'ns.a');
    const b1 = await backupVolume(b, 'ns.b');
    assert.equal(a1.parent, null);
    assert.equal(b1.parent, null);
    // A fresh copy of volume a at the same path (as a PVC restored from a CSI snapshot, mounted at /data): new inodes and ctimes.
    await rename(a, `${a}-old`);
    await cp(`${a}-old`, a, { recursive: true, preserveTimestamps: true });
    await writeFile(join(a, 'sub', 'new.txt'), 'added\n');
    const resultFile = join(dir, 'termination-log');
    const a2 = await backupVolume(a, 'ns.a', resultFile);
    assert.equal(a2.parent, a1.snapshot_id, 'the parent is the same volume\'s snapshot, not the newest of the host');
    assert.equal(a2.files_unchanged, 2);
    assert.equal(a2.files_changed, 1);
    assert.equal(a2.bytes_read, 'added\n'.length);
    assert.deepEqual(JSON.parse(await readFile(resultFile, 'utf8')), a2);
  });

  it('restores a volume snapshot into the target folder', async () => {
    const src = await volume('c', 3);
    const s = await backupVolume(src, 'ns.c');
    const target = join(dir, 'restored');
    const r = await cli.run(['mover', 'restore-volume', '--snapshot', s.snapshot_id, '--target', target]);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(await readFile(join(target, 'same-size.bin')), Buffer.alloc(100_000, 3));
    assert.equal(await readFile(join(target, 'sub', 'note.txt'), 'utf8'), 'volume c\n');
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { bytes_written: number; bytes_total: number };
    assert.equal(summary.bytes_written, summary.bytes_total);
  });

  it('fails with one clear line on a wrong password', async () => {
    const r = await cli.run(['mover', 'backup-volume', '--path', join(dir, 'a')], { env: { HOLDFAST_PASSWORD: 'wrong' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^holdfast: wrong password for the repository at .*\n$/);
  });
});
