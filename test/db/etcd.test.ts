/**
 * etcd through `holdfast backup etcd://…` / `restore --into etcd-data-dir:…`, against a
 * real etcd (Debian's etcd-server): the snapshot streams from the gateway into the
 * repository, restores into a new data dir, and an etcd started there has the same keys.
 * Bad input fails with one clear line and stores nothing: an unreachable member, a wrong
 * password, no credentials when auth is on, and a snapshot stream that breaks off (a fake
 * gateway) or reports an error.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { show, stderrLines } from '../helpers/cli.ts';
import { startEtcd } from '../helpers/databases/etcd.ts';
import type { EtcdServer } from '../helpers/databases/etcd.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

interface Listed {
  readonly id: string;
  readonly labels: Record<string, string>;
}

async function snapshots(t: TestRepository): Promise<Listed[]> {
  const r = await t.cli.run(['snapshots', '--json']);
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout) as Listed[];
}

/** A fake gateway whose snapshot answer is `lines` (each a JSON object), then the end of the response. */
async function fakeGateway(lines: readonly string[]): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/v3/maintenance/status') {
      res.end('{"version":"3.4.23"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    for (const l of lines) res.write(`${l}\n`);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}

const blob = (bytes: Buffer): string => JSON.stringify({ result: { blob: bytes.toString('base64') } });

describe('etcd', () => {
  let etcd: EtcdServer;
  let t: TestRepository;
  let work = '';
  let keys = '';

  before(async () => {
    [etcd, t] = await Promise.all([startEtcd(), createTestRepository()]);
    work = await mkdtemp(join(tmpdir(), 'holdfast-test-etcd-restore-'));
    for (let i = 0; i < 400; i++) await etcd.ctl(['put', `/registry/items/${String(i).padStart(4, '0')}`, `value-${i}-${'x'.repeat(i % 97)}`]);
    await etcd.ctl(['put', '/registry/items/0007', 'overwritten']);
    await etcd.ctl(['del', '/registry/items/0008']);
    keys = await etcd.ctl(['get', '--prefix', '/']);
  });
  after(async () => {
    await etcd?.stop();
    await t?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('streams a snapshot into the repository and restores it into a new data dir that etcd starts from with the same keys', async () => {
    const r = await t.cli.run(['backup', etcd.url()]);
    assert.equal(r.code, 0, show(r));
    const [snap] = await snapshots(t);
    assert.equal(snap?.labels['db.engine'], 'etcd');
    assert.equal(snap?.labels['db.format'], 'etcd-snapshot');
    assert.equal(snap?.labels['db.server'], `127.0.0.1:${etcd.port}`);
    const dir = join(work, 'restored');
    const restore = await t.cli.run(['restore', 'latest', '--into', `etcd-data-dir:${dir}`]);
    assert.equal(restore.code, 0, show(restore));
    assert.match(restore.stdout, new RegExp(`^next: start etcd with --data-dir ${dir} --name default`, 'm'));
    assert.deepEqual(await readdir(work), ['restored'], 'the staged snapshot file is gone');
    const copy = await startEtcd({ dataDir: dir });
    try {
      assert.equal(await copy.ctl(['get', '--prefix', '/']), keys);
    } finally {
      await copy.stop();
    }
  });

  it('refuses to restore over an existing data dir, and into a running member', async () => {
    const dir = join(work, 'existing');
    await mkdir(dir);
    const r = await t.cli.run(['restore', 'latest', '--into', `etcd-data-dir:${dir}`]);
    assert.equal(r.code, 1, show(r));
    assert.deepEqual(stderrLines(r).length, 1, show(r));
    assert.match(stderrLines(r)[0] ?? '', /already exists; an etcd snapshot is restored into a new data dir/);
    const live = await t.cli.run(['restore', 'latest', '--into', etcd.url()]);
    assert.equal(live.code, 2, show(live));
    assert.match(stderrLines(live)[0] ?? '', /^holdfast: an etcd snapshot cannot be loaded into a running member \(etcd 127\.0\.0\.1:\d+\); restore it into a new data dir with --into etcd-data-dir:\/path/);
  });

  it('fails with one clear line and stores nothing for an unreachable member', async () => {
    const count = (await snapshots(t)).length;
    const r = await t.cli.run(['backup', 'etcd://127.0.0.1:1']);
    assert.equal(r.code, 14, show(r));
    assert.deepEqual(stderrLines(r), ['holdfast: etcd 127.0.0.1:1: cannot reach the database: connect ECONNREFUSED 127.0.0.1:1']);
    assert.equal((await snapshots(t)).length, count);
  });

  for (const c of [
    { name: 'a snapshot stream that breaks off (hash missing)', lines: [blob(Buffer.alloc(70_000, 7))], code: 1, line: /^holdfast: etcd 127\.0\.0\.1:\d+: snapshot of etcd 127\.0\.0\.1:\d+: the snapshot stream ended early or is damaged/ },
    { name: 'an error inside the snapshot stream', lines: [blob(Buffer.alloc(40_000, 1)), '{"error":{"grpc_code":14,"message":"etcdserver: leader changed"}}'], code: 1, line: /^holdfast: etcd 127\.0\.0\.1:\d+: snapshot of .*: the snapshot stream failed: etcdserver: leader changed$/ },
  ]) {
    it(`a failing dump stores no snapshot: ${c.name}`, async () => {
      const fake = await fakeGateway(c.lines);
      try {
        const count = (await snapshots(t)).length;
        const r = await t.cli.run(['backup', `etcd://127.0.0.1:${fake.port}`]);
        assert.equal(r.code, c.code, show(r));
        assert.equal(stderrLines(r).length, 1, show(r));
        assert.match(stderrLines(r)[0] ?? '', c.line);
        assert.equal((await snapshots(t)).length, count);
      } finally {
        fake.server.close();
      }
    });
  }

  it('with auth on: a wrong password and missing credentials fail clearly; the right ones back up', async () => {
    await etcd.ctl(['user', 'add', 'root:root-secret']);
    await etcd.ctl(['role', 'add', 'root']).catch(() => '');
    await etcd.ctl(['user', 'grant-role', 'root', 'root']).catch(() => '');
    await etcd.ctl(['auth', 'enable']);
    const count = (await snapshots(t)).length;
    const wrong = await t.cli.run(['backup', etcd.url('root', 'nope')]);
    assert.equal(wrong.code, 14, show(wrong));
    assert.deepEqual(stderrLines(wrong), [`holdfast: etcd 127.0.0.1:${etcd.port}: authentication failed: etcdserver: authentication failed, invalid user ID or password`]);
    const none = await t.cli.run(['backup', etcd.url()]);
    assert.equal(none.code, 14, show(none));
    assert.match(stderrLines(none)[0] ?? '', /^holdfast: etcd 127\.0\.0\.1:\d+: authentication failed: auth: user name is empty$/);
    assert.equal((await snapshots(t)).length, count);
    const right = await t.cli.run(['backup', etcd.url('root', 'root-secret')]);
    assert.equal(right.code, 0, show(right));
  });
});
