/**
 * Backup → restore round trips through the real `holdfast` command: every kind of entry
 * and metadata comes back, incremental backups read only what changed, partial and
 * verified restores, dump, ls and diff, stream backups (stdin and a command's output,
 * including a failing command) and block images with zero runs.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm, stat, unlink, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { show, stderrLines } from '../helpers/cli.ts';
import { objectCount } from '../helpers/repo-files.ts';
import { backup, restore, snapshotIds } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, MiB, buildTree, compressible, put } from '../helpers/tree-builder.ts';
import type { BuiltTree } from '../helpers/tree-builder.ts';
import { assertSameTree, fileHash, scanTree } from '../helpers/tree-compare.ts';
import type { TreeManifest } from '../helpers/tree-compare.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('directory backup and restore', () => {
  let t: TestRepository;
  let tree: BuiltTree;
  let src: string;
  let first: { id: string; manifest: TreeManifest; files: number };
  let second: { id: string; manifest: TreeManifest };

  before(async () => {
    t = await createTestRepository();
    src = t.path('src');
    tree = await buildTree(src);
  });
  after(() => t.cleanup());

  it('restores every name, type, byte, mode, owner, mtime, link and hole', async () => {
    const manifest = await scanTree(src);
    const files = [...manifest.values()].filter((e) => e.type === 'file').length;
    const s = await backup(t.cli, [src]);
    assert.deepEqual([s.files, s.filesChanged, s.filesUnchanged, s.errors], [files, files, 0, []]);
    first = { id: s.id, manifest, files };
    await restore(t.cli, s.id, t.path('restore-1'));
    await assertSameTree(manifest, join(t.path('restore-1'), 'src'));
  });

  it('restore --verify reads every restored file back', async () => {
    const r = await restore(t.cli, first.id, t.path('restore-verify'), ['--verify']);
    assert.match(r.stdout, new RegExp(`: ${first.files} files, .*, ${first.files} files verified`));
    await assertSameTree(first.manifest, join(t.path('restore-verify'), 'src'));
  });

  // A restore leaves out the chown of a new file that already has the right owner: not
  // into a set-group-id folder (files there take its group) nor over existing files.
  it('restores owners into a set-group-id target and over files that exist', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const sgid = t.path('restore-sgid');
    await mkdir(sgid);
    await chown(sgid, 0, 2000);
    await chmod(sgid, 0o2775);
    await restore(t.cli, first.id, sgid);
    await assertSameTree(first.manifest, join(sgid, 'src'));
    const over = t.path('restore-over');
    await mkdir(join(over, 'src'), { recursive: true });
    await writeFile(join(over, 'src', 'text.txt'), 'old');
    await chown(join(over, 'src', 'text.txt'), 1234, 1234);
    await restore(t.cli, first.id, over);
    await assertSameTree(first.manifest, join(over, 'src'));
  });

  // Into a fresh target a file written in one piece is created with its mode and not
  // chmod-ed when the umask leaves that mode as it is; every other mode takes a chmod.
  it('restores modes the umask would cut, set-id and sticky bits, and read-only files of many pieces', async () => {
    const modes = t.path('modes-src');
    const wanted: Array<[string, number, number]> = [
      ['read-only', 0o444, 1 * KiB], ['no-access', 0o000, 1 * KiB], ['group-write', 0o664, 1 * KiB], ['world-write', 0o666, 1 * KiB],
      ['setuid', 0o4755, 1 * KiB], ['setgid', 0o2711, 1 * KiB], ['sticky', 0o1644, 1 * KiB], ['big-read-only', 0o400, 40 * MiB],
    ];
    for (const [name, mode, size] of wanted) {
      await put(join(modes, name), randomBytes(size));
      await chmod(join(modes, name), mode);
    }
    const manifest = await scanTree(modes);
    const s = await backup(t.cli, [modes]);
    await restore(t.cli, s.id, t.path('modes-restored'));
    await assertSameTree(manifest, join(t.path('modes-restored'), 'modes-src'));
    for (const [name, mode] of wanted) assert.equal((await stat(join(t.path('modes-restored'), 'modes-src', name))).mode & 0o7777, mode, name);
  });

  it('a second backup reads only the changed files and stores little', async () => {
    await appendFile(join(src, tree.text), 'one more line\n');
    await put(join(src, 'new.txt'), compressible(20 * KiB, 9));
    await unlink(join(src, 'sub/nested/random.dat'));
    await chmod(join(src, 'run.sh'), 0o700);
    await unlink(join(src, 'link-to-text'));
    await put(join(src, 'link-to-text'), 'now a file\n');
    const changed = [tree.text, 'new.txt', 'run.sh', 'link-to-text'];
    const bytesRead = (await Promise.all(changed.map(async (f) => (await stat(join(src, f))).size))).reduce((a, b) => a + b, 0);
    const manifest = await scanTree(src);
    const files = [...manifest.values()].filter((e) => e.type === 'file').length;

    const s = await backup(t.cli, [src]);
    assert.equal(s.filesChanged, changed.length);
    assert.equal(s.filesUnchanged, files - changed.length);
    assert.equal(s.bytesRead, bytesRead);
    assert.ok(s.bytesStored > 0 && s.bytesStored < 128 * KiB, `stored ${s.bytesStored} bytes for a few small changes`);
    second = { id: s.id, manifest };
    await restore(t.cli, s.id, t.path('restore-2'));
    await assertSameTree(manifest, join(t.path('restore-2'), 'src'));
    await restore(t.cli, first.id, t.path('restore-1-again'));
    await assertSameTree(first.manifest, join(t.path('restore-1-again'), 'src'));
  });

  const partial: Array<{ name: string; args: string[]; absent: (p: string) => boolean }> = [
    { name: '--include a folder', args: ['--include', 'src/sub'], absent: (p) => p !== '' && p !== 'sub' && !p.startsWith('sub/') },
    { name: '--include a folder with a leading slash', args: ['--include', '/src/sub'], absent: (p) => p !== '' && p !== 'sub' && !p.startsWith('sub/') },
    { name: '--include a file with a leading slash', args: ['--include', '/src/run.sh'], absent: (p) => p !== '' && p !== 'run.sh' },
    { name: '--include a glob at any depth', args: ['--include', 'src/**/*.txt'], absent: (p) => second.manifest.get(p)?.type !== 'dir' && !p.endsWith('.txt') },
    { name: '--exclude a name and a folder', args: ['--exclude', '*.bin', '--exclude', 'src/sub/nested'], absent: (p) => p.endsWith('.bin') || p.startsWith('sub/nested') },
    { name: '--exclude anchored by a leading slash', args: ['--exclude', '/src/sub/nested', '--exclude', '/nested'], absent: (p) => p.startsWith('sub/nested') },
  ];
  for (const c of partial) {
    it(`partial restore with ${c.name}`, async () => {
      const target = t.path(`partial-${partial.indexOf(c)}`);
      await restore(t.cli, second.id, target, c.args);
      await assertSameTree(second.manifest, join(target, 'src'), { absent: c.absent });
    });
  }

  it('dump writes one file of a snapshot byte for byte', async () => {
    for (const file of [tree.big, tree.sparse, tree.empty]) {
      const r = await t.cli.run(['dump', first.id, `src/${file}`]);
      assert.equal(r.code, 0, show(r));
      assert.equal(sha256(r.stdoutBytes), first.manifest.get(file)?.sha256, file);
    }
    const dir = await t.cli.run(['dump', first.id, 'src/sub']);
    assert.equal(dir.code, 2, show(dir));
  });

  it('ls lists every path; ls -l shows type, mode, size and mtime', async () => {
    const r = await t.cli.run(['ls', second.id]);
    assert.equal(r.code, 0, show(r));
    const expected = [...second.manifest.keys()].map((p) => (p === '' ? '/src' : `/src/${p}`)).sort();
    assert.deepEqual(r.stdout.trim().split('\n').sort(), expected);
    const long = await t.cli.run(['ls', '-l', second.id]);
    const runSh = second.manifest.get('run.sh');
    assert.ok(runSh);
    const when = new Date(runSh.mtimeMs).toISOString().slice(0, 19);
    const line = `${'file'.padEnd(8)} 0700 ${String(runSh.size).padStart(12)} ${when} /src/run.sh`;
    assert.ok(long.stdout.split('\n').includes(line), `no '${line}' in\n${long.stdout}`);
  });

  it('diff shows added, removed, modified, metadata-only and type changes', async () => {
    const r = await t.cli.run(['diff', first.id, second.id]);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'T    /src/link-to-text',
      '+    /src/new.txt',
      'U    /src/run.sh',
      '-    /src/sub/nested/random.dat',
      'M    /src/text.txt',
      '1 added, 1 removed, 1 modified, 1 metadata only, 1 type changed',
    ]);
  });
});

describe('stream and block backups', () => {
  let t: TestRepository;
  before(async () => {
    t = await createTestRepository();
  });
  after(() => t.cleanup());

  it('--stdin stores standard input as one file, and dump returns it', async () => {
    const input = Buffer.concat([compressible(3 * MiB, 4), randomBytes(MiB)]);
    const s = await backup(t.cli, ['--stdin', '--stdin-filename', 'db.sql'], { input });
    assert.equal(s.bytesRead, input.byteLength);
    const dump = await t.cli.run(['dump', s.id]);
    assert.equal(dump.code, 0, show(dump));
    assert.equal(sha256(dump.stdoutBytes), sha256(input));
    const again = await backup(t.cli, ['--stdin', '--stdin-filename', 'db.sql'], { input });
    assert.ok(again.bytesStored < 16 * KiB, `an identical stream stored ${again.bytesStored} bytes`);
    const snaps = await t.cli.run(['--json', 'snapshots']);
    const listed = JSON.parse(snaps.stdout) as Array<{ id: string; kind: string; paths: string[]; parent?: string }>;
    assert.deepEqual(listed.map((x) => [x.kind, x.paths]), [['stream', ['/db.sql']], ['stream', ['/db.sql']]]);
    assert.equal(listed[1]?.parent, s.id);
  });

  it('--stdin from a shell pipe (read by the native reader, ADR 0034) stores the same bytes', async () => {
    const input = Buffer.concat([compressible(5 * MiB, 7), randomBytes(MiB + 123)]);
    const file = t.path('piped.bin');
    await writeFile(file, input);
    // `cat file | holdfast …`: standard input is a pipe (the harness's own is a socket, read through Node).
    const s = await backup(t.cli, ['--stdin', '--stdin-filename', 'piped.bin'], { wrapper: ['/bin/sh', '-c', 'cat "$0" | "$@"', file] });
    assert.equal(s.bytesRead, input.byteLength);
    const dump = await t.cli.run(['dump', s.id]);
    assert.equal(sha256(dump.stdoutBytes), sha256(input));
  });

  it('a stream is cut with the default profile; --chunk-profile fine cuts ~64 KiB chunks; a bad profile is a usage error', async () => {
    const input = randomBytes(8 * MiB);
    const plain = await backup(t.cli, ['--stdin', '--stdin-filename', 'plain.bin'], { input });
    assert.ok(plain.blobsNew >= 2 && plain.blobsNew <= 16, `default profile: ${plain.blobsNew} blobs for 8 MiB`);
    const fine = await backup(t.cli, ['--stdin', '--stdin-filename', 'fine.bin', '--chunk-profile', 'fine'], { input });
    assert.ok(fine.blobsNew >= 64, `fine profile: ${fine.blobsNew} blobs for 8 MiB`);
    const dump = await t.cli.run(['dump', fine.id]);
    assert.equal(sha256(dump.stdoutBytes), sha256(input));
    const bad = await t.cli.run(['backup', '--stdin', '--chunk-profile', 'huge']);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /--chunk-profile must be 'default' or 'fine', not 'huge'/);
  });

  // A stream's chunks are handed to the workers in slabs of ~8 MiB while the rest is read:
  // the cuts must not depend on how the bytes arrive, nor on where a slab ends.
  it('a 40 MiB stream is cut the same whatever sizes its pieces arrive in', async () => {
    const input = Buffer.concat([randomBytes(17 * MiB), compressible(13 * MiB, 3), randomBytes(10 * MiB)]);
    const file = t.path('stream-40m.bin');
    await writeFile(file, input);
    const first = await backup(t.cli, ['--stdin-from-command', `cat ${file}`, '--stdin-filename', 'big.bin']);
    assert.equal(first.bytesRead, input.byteLength);
    const dump = await t.cli.run(['dump', first.id]);
    assert.equal(sha256(dump.stdoutBytes), sha256(input));
    const again = await backup(t.cli, ['--stdin-from-command', `dd if=${file} bs=7777 status=none`, '--stdin-filename', 'big.bin']);
    assert.equal(again.blobsNew, 1, 'only the new tree: every data chunk was cut as before');
  });

  it('--stdin-from-command stores what the command prints', async () => {
    const s = await backup(t.cli, ['--stdin-from-command', 'seq 1 300000', '--stdin-filename', 'numbers.txt']);
    const dump = await t.cli.run(['dump', s.id]);
    const expected = Array.from({ length: 300000 }, (_, i) => `${i + 1}\n`).join('');
    assert.equal(dump.stdout, expected);
  });

  it('--stdin-from-command keeps the output of a command that prints a little and exits at once', async () => {
    const s = await backup(t.cli, ['--stdin-from-command', 'echo hi', '--stdin-filename', 'hi.txt']);
    assert.equal((await t.cli.run(['dump', s.id])).stdout, 'hi\n');
  });

  it('a failing command fails the backup and publishes no snapshot', async () => {
    const before = await snapshotIds(t.cli);
    const r = await t.cli.run(['backup', '--stdin-from-command', 'seq 1 100000; echo boom >&2; exit 3']);
    assert.notEqual(r.code, 0, show(r));
    assert.ok(r.stderr.includes('boom'), show(r));
    assert.match(stderrLines(r).at(-1) ?? '', /^holdfast: 'seq 1 100000; echo boom >&2; exit 3' exited with status 3; no snapshot was saved$/);
    assert.deepEqual(await snapshotIds(t.cli), before);
    assert.equal(objectCount(t.repoDir, 'locks'), 0);
  });

  it('--block stores an image with zero runs; the restore is identical and sparse', async () => {
    const image = t.path('disk.raw');
    const zeros = Buffer.alloc(10 * MiB);
    await writeFile(image, Buffer.concat([randomBytes(MiB), zeros, randomBytes(2 * MiB), zeros, compressible(MiB, 5), Buffer.alloc(3 * MiB)]));
    const s = await backup(t.cli, ['--block', image]);
    assert.ok(s.bytesStored < 5 * MiB, `stored ${s.bytesStored} bytes of a 27 MiB image with 4 MiB of data`);
    const target = t.path('block-restore');
    await restore(t.cli, s.id, target);
    const restored = join(target, 'disk.raw');
    assert.equal(await fileHash(restored), await fileHash(image));
    const st = await stat(restored);
    assert.equal(st.size, 27 * MiB);
    assert.ok(st.blocks * 512 < 8 * MiB, `restored image allocates ${st.blocks * 512} bytes; zero runs must stay holes`);
    const dump = await t.cli.run(['dump', s.id]);
    assert.equal(sha256(dump.stdoutBytes), await fileHash(image));
    await rm(target, { recursive: true });
  });
});
