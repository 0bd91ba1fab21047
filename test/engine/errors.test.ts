/**
 * How `holdfast` fails: one clear line on stderr, the documented exit code (README:
 * 1 failure, 2 usage, 3 partial, 10 no repository, 11 locked, 12 wrong password,
 * 13 damaged), and nothing already stored changed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { HOLDFAST_BIN, collect, show, stderrLines } from '../helpers/cli.ts';
import { holdLock, releaseLock as release } from '../helpers/lock-holder.ts';
import type { CliResult } from '../helpers/cli.ts';
import { assertRepositoryUnchanged, fileBlobs, fingerprint, flipByte, packPath } from '../helpers/repo-files.ts';
import { backup, restore } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree, scanTree } from '../helpers/tree-compare.ts';

function assertOneLine(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, show(r));
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one line on stderr\n${show(r)}`);
  assert.match(lines[0] ?? '', pattern);
}


describe('errors', () => {
  let t: TestRepository;
  let src: string;
  let snapshot: string;

  before(async () => {
    t = await createTestRepository();
    src = t.path('src');
    await writeRandomFiles(join(src, 'data'), 20, 40 * KiB);
    await put(join(src, 'notes.txt'), compressible(100 * KiB));
    snapshot = (await backup(t.cli, [src])).id;
  });
  after(() => t.cleanup());

  const cases: Array<{ name: string; args: () => string[]; env?: () => Record<string, string | undefined>; code: number; stderr: RegExp }> = [
    { name: 'wrong password', args: () => ['snapshots'], env: () => ({ HOLDFAST_PASSWORD: 'not the password' }), code: 12, stderr: /^holdfast: wrong password for the repository at \/.*\/repo: none of its 1 key slot\(s\) opens with it$/ },
    { name: 'wrong password on backup', args: () => ['backup', src], env: () => ({ HOLDFAST_PASSWORD: 'not the password' }), code: 12, stderr: /^holdfast: wrong password/ },
    // The command starts while the repository opens (ADR 0034): it is stopped, and the CLI does not wait on its endless output.
    { name: 'wrong password on a command backup', args: () => ['backup', '--stdin-from-command', 'exec yes'], env: () => ({ HOLDFAST_PASSWORD: 'not the password' }), code: 12, stderr: /^holdfast: wrong password/ },
    { name: 'command backup to no repository', args: () => ['backup', '--stdin-from-command', 'exec yes'], env: () => ({ HOLDFAST_REPOSITORY: t.path('nowhere') }), code: 10, stderr: /^holdfast: no repository at / },
    { name: 'no repository', args: () => ['snapshots'], env: () => ({ HOLDFAST_REPOSITORY: t.path('nowhere') }), code: 10, stderr: /^holdfast: no repository at \/.*\/nowhere \(run 'holdfast init' to create one\)$/ },
    { name: 'backup to no repository', args: () => ['backup', src], env: () => ({ HOLDFAST_REPOSITORY: t.path('nowhere') }), code: 10, stderr: /^holdfast: no repository at / },
    { name: 'init on an existing repository', args: () => ['init'], code: 1, stderr: /^holdfast: a repository already exists at \/.*\/repo$/ },
    { name: 'unknown option', args: () => ['backup', '--no-such-option', src], code: 2, stderr: /^error: unknown option '--no-such-option'$/ },
    { name: 'unknown command', args: () => ['frobnicate'], code: 2, stderr: /^error: unknown command 'frobnicate'$/ },
    { name: 'no password', args: () => ['snapshots'], env: () => ({ HOLDFAST_PASSWORD: undefined }), code: 2, stderr: /^holdfast: no password given/ },
    { name: 'two backup sources', args: () => ['backup', '--stdin', src], code: 2, stderr: /^holdfast: give exactly one of: paths, --stdin, --stdin-from-command, --block$/ },
    { name: 'unknown snapshot', args: () => ['restore', 'deadbeef', '--target', t.path('never')], code: 1, stderr: /^holdfast: no snapshot deadbeef in / },
    { name: 'missing backup path', args: () => ['backup', t.path('no-such-dir')], code: 1, stderr: /^holdfast: cannot read backup path \/.*\/no-such-dir: ENOENT/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}, one line, nothing changed`, async () => {
      const before = await fingerprint(t.repoDir);
      assertOneLine(await t.cli.run(c.args(), { ...(c.env ? { env: c.env() } : {}) }), c.code, c.stderr);
      await assertRepositoryUnchanged(t.repoDir, before, c.name);
      assert.equal(existsSync(t.path('nowhere')), false, 'no repository was created');
      assert.equal(existsSync(t.path('never')), false, 'no restore target was created');
    });
  }

  it('wrong password on a --stdin backup whose writer goes quiet without closing: exit 12 at once, nothing changed', async () => {
    const before = await fingerprint(t.repoDir);
    // Standard input is a pipe this test keeps open (ADR 0034: a pipe is read natively, from the start).
    const pipes = createRequire(import.meta.url)('holdfast-native') as { blockingPipe(): [number, number] };
    const [r, w] = pipes.blockingPipe();
    try {
      writeSync(w, 'a little, then nothing\n');
      const child = spawn(HOLDFAST_BIN, ['backup', '--stdin'], { stdio: [r, 'pipe', 'pipe'], env: { ...process.env, ...t.cli.env, HOLDFAST_PASSWORD: 'not the password' } });
      closeSync(r);
      const started = Date.now();
      const res = await collect(child, { timeoutMs: 20_000 });
      assertOneLine(res, 12, /^holdfast: wrong password/);
      assert.ok(Date.now() - started < 10_000, `exited after ${Date.now() - started} ms`);
    } finally {
      closeSync(w);
    }
    await assertRepositoryUnchanged(t.repoDir, before, 'stdin backup with a wrong password');
  });

  const locked: Array<{ command: string; holder: 'exclusive' | 'shared'; args: () => string[]; exclusively: boolean }> = [
    { command: 'backup', holder: 'exclusive', args: () => ['backup', src], exclusively: true },
    { command: 'check', holder: 'exclusive', args: () => ['check'], exclusively: true },
    { command: 'restore', holder: 'exclusive', args: () => ['restore', snapshot, '--target', t.path('never')], exclusively: true },
    { command: 'snapshots', holder: 'exclusive', args: () => ['snapshots'], exclusively: true },
    { command: 'ls', holder: 'exclusive', args: () => ['ls', snapshot], exclusively: true },
    { command: 'dump', holder: 'exclusive', args: () => ['dump', snapshot, 'src/notes.txt'], exclusively: true },
    { command: 'diff', holder: 'exclusive', args: () => ['diff', snapshot, snapshot], exclusively: true },
    { command: 'stats', holder: 'exclusive', args: () => ['stats'], exclusively: true },
    { command: 'prune', holder: 'shared', args: () => ['prune'], exclusively: false },
    { command: 'forget', holder: 'shared', args: () => ['forget', snapshot], exclusively: false },
  ];
  for (const c of locked) {
    it(`${c.command} while another process holds a${c.holder === 'exclusive' ? 'n' : ''} ${c.holder} lock: exit 11, nothing changed`, async () => {
      const holder = await holdLock(t.repoDir, t.password, c.holder);
      try {
        const before = await fingerprint(t.repoDir);
        const r = await t.cli.run(c.args());
        const how = c.exclusively ? 'exclusively ' : '';
        assertOneLine(r, 11, new RegExp(`^holdfast: repository /.*/repo is locked ${how}by pid ${holder.pid} on .* \\(lock [0-9a-f]{8}\\); wait, or remove it with 'holdfast unlock' if that process is gone$`));
        await assertRepositoryUnchanged(t.repoDir, before, c.command);
      } finally {
        await release(holder);
      }
    });
  }

  it('a shared lock does not stop a backup, and a released lock leaves nothing behind', async () => {
    const holder = await holdLock(t.repoDir, t.password, 'shared');
    try {
      await backup(t.cli, [src]);
    } finally {
      await release(holder);
    }
    assert.equal((await t.cli.run(['unlock'])).stdout, 'removed 0 lock(s)\n');
  });

  it('a damaged pack: check --read-data exits 13 with one line per problem, and changes nothing', async () => {
    const [blob] = await fileBlobs(await t.reopen(), snapshot, 'src/notes.txt');
    assert.ok(blob);
    await flipByte(packPath(t.repoDir, blob.pack), blob.offset + 30);
    const before = await fingerprint(t.repoDir);
    const r = await t.cli.run(['check', '--read-data']);
    assert.equal(r.code, 13, show(r));
    const lines = stderrLines(r);
    assert.ok(lines.length >= 1 && lines.every((l) => l.startsWith('error: ')), show(r));
    assert.ok(lines.some((l) => l.includes(blob.pack) && l.includes(blob.id) && l.includes('/src/notes.txt')), show(r));
    assert.match(r.stdout, new RegExp(`${lines.length} error\\(s\\) found`));
    await assertRepositoryUnchanged(t.repoDir, before, 'check');
  });
});

describe('unreadable source files', () => {
  let t: TestRepository;
  before(async () => {
    t = await createTestRepository();
  });
  after(() => t.cleanup());

  it('are reported, the backup goes on, exits 3, and the snapshot has everything else', async () => {
    const src = t.path('src');
    await writeRandomFiles(join(src, 'a'), 10, 20 * KiB);
    await put(join(src, 'secret.key'), 'cannot be read\n', 0o000);
    await put(join(src, 'closed/inside.txt'), 'behind a closed folder\n');
    await chmod(join(src, 'closed'), 0o000);
    await put(join(src, 'z/last.txt'), 'after the unreadable ones\n');
    const manifest = await scanTree(src);
    // Root reads anything; without these capabilities it obeys mode bits like any user.
    const wrapper = ['setpriv', '--inh-caps=-all', '--bounding-set=-dac_override,-dac_read_search', '--'];
    const r = await t.cli.run(['backup', src], { wrapper });
    assert.equal(r.code, 3, show(r));
    assert.deepEqual(stderrLines(r), [
      `warning: ${src}/closed: cannot list directory: EACCES: permission denied, scandir '${src}/closed'`,
      `warning: ${src}/secret.key: cannot read file: EACCES: permission denied, open '${src}/secret.key'`,
    ]);
    assert.match(r.stdout, /2 source file\(s\) could not be read \(see warnings above\); the snapshot has everything else/);
    const target = t.path('restored');
    await restore(t.cli, 'latest', target);
    await assertSameTree(manifest, join(target, 'src'), { absent: (p) => p === 'secret.key' || p === 'closed' || p.startsWith('closed/') });
  });
});

describe('an older Node.js', () => {
  // The machine's own node, where it predates 24 (set-up then brings Node 24 for holdfast).
  const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
    const r = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    return r.status === 0 && Number(r.stdout.split('.')[0]) < 24;
  });

  it('gets one line naming the version holdfast needs, exit 2', { skip: old === undefined ? 'no Node.js older than 24 on this machine' : false }, () => {
    const r = spawnSync(old ?? '', [fileURLToPath(new URL('../../src/bin/holdfast-start.js', import.meta.url)), 'snapshots'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /^holdfast: needs Node\.js 24 or newer, and \S+ is v\d+\./);
  });
});
