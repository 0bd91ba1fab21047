/**
 * Consistency groups in CLI mode (`holdfast backup --group`), with a real PostgreSQL and
 * a real MariaDB as the members, their native freezes held, pause/resume commands, and
 * a probe that lists an application process from /proc. A clean run is Consistent and
 * both dumps restore; a process restarted while the group is paused makes the run
 * Inconsistent (exit 15) with the snapshots kept and labelled so.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { collect, show, stderrLines } from '../helpers/cli.ts';
import { startMariadb } from '../helpers/databases/mariadb.ts';
import type { MariadbServer } from '../helpers/databases/mariadb.ts';
import { startPostgres } from '../helpers/databases/postgres.ts';
import type { PgServer } from '../helpers/databases/postgres.ts';
import { waitFor } from '../helpers/databases/process.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

interface Listed {
  readonly id: string;
  readonly labels: Record<string, string>;
}

/** An application process supervised by the test: its pid and restart count in files the probe reads. */
class App {
  child: ChildProcess | undefined;
  restarts = 0;
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  async start(): Promise<number> {
    this.child = spawn('sleep', ['600'], { stdio: 'ignore' });
    await writeFile(`${this.dir}/app.pid`, String(this.child.pid));
    await writeFile(`${this.dir}/restarts`, String(this.restarts));
    return this.child.pid ?? 0;
  }
  async restart(): Promise<number> {
    this.child?.kill('SIGKILL');
    this.restarts++;
    return this.start();
  }
}

describe('consistency group (CLI mode)', () => {
  let pg: PgServer;
  let m: MariadbServer;
  let t: TestRepository;
  let app: App;
  let groupFile = '';

  before(async () => {
    [pg, m, t] = await Promise.all([startPostgres(), startMariadb(), createTestRepository()]);
    await pg.psql('postgres', 'CREATE DATABASE coordinator');
    await pg.psql('coordinator', "CREATE TABLE tx_state AS SELECT g AS id, 'committed' AS state FROM generate_series(1, 500) g");
    await m.sql("CREATE DATABASE orders; CREATE TABLE orders.items (id INT PRIMARY KEY, qty INT NOT NULL); INSERT INTO orders.items SELECT seq, seq * 2 FROM orders.seq_1_to_500;");
    const dir = t.path('app');
    await mkdir(dir);
    app = new App(dir);
    await app.start();
    groupFile = t.path('group.yaml');
    await writeFile(groupFile, stringify({
      name: 'scalardb',
      clockSkewMargin: '2s',
      timeout: '2m',
      members: [{ url: pg.url('coordinator') }, { url: m.url('orders') }],
      pause: { shell: `touch ${dir}/paused` },
      resume: { shell: `rm -f ${dir}/paused; touch ${dir}/resumed` },
      probe: { shell: `pid=$(cat ${dir}/app.pid); printf '{"name":"app","pid":%s,"state":"%s","restarts":%s}\\n' "$pid" "$(awk '{print $3}' /proc/$pid/stat)" "$(cat ${dir}/restarts)"` },
    }));
  });
  after(async () => {
    app?.child?.kill('SIGKILL');
    await Promise.all([pg?.stop(), m?.stop()]);
    await t?.cleanup();
  });

  const groupSnapshots = async (): Promise<Listed[]> => {
    const r = await t.cli.run(['snapshots', '--json']);
    return (JSON.parse(r.stdout) as Listed[]).filter((s) => s.labels['holdfast.group'] === 'scalardb');
  };

  it('a clean run is Consistent, records the pause window, resumes, and both dumps restore', async () => {
    const r = await t.cli.run(['backup', '--group', groupFile], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^postgres 127\.0\.0\.1:\d+\/coordinator: snapshot [0-9a-f]{8} saved$/m);
    assert.match(r.stdout, /^mariadb 127\.0\.0\.1:\d+\/orders: snapshot [0-9a-f]{8} saved$/m);
    assert.match(r.stdout, /^group scalardb: Consistent$/m);
    assert.ok(existsSync(t.path('app', 'resumed')) && !existsSync(t.path('app', 'paused')), 'resumed');
    const snaps = await groupSnapshots();
    assert.equal(snaps.length, 3, 'postgres, its globals, mariadb');
    for (const s of snaps) {
      assert.equal(s.labels['holdfast.group.consistent'], 'true');
      const paused = Date.parse(s.labels['holdfast.group.pausedAt'] ?? '');
      const unpaused = Date.parse(s.labels['holdfast.group.unpausedAt'] ?? '');
      assert.ok(unpaused - paused >= 2000, `window ${paused} … ${unpaused} covers the 2 s clock-skew margin`);
    }
    const main = snaps.filter((s) => s.labels['db.part'] === 'main');
    const globals = snaps.find((s) => s.labels['db.part'] === 'globals.sql');
    assert.ok(main.some((s) => s.id === globals?.labels['db.dump']), 'the globals point at the relabelled main dump');
    for (const s of main) {
      const into = s.labels['db.engine'] === 'postgres' ? pg.url('coordinator_copy') : m.url('orders_copy');
      const restore = await t.cli.run(['restore', s.id, '--into', into]);
      assert.equal(restore.code, 0, show(restore));
    }
    assert.equal(await pg.psql('coordinator_copy', 'SELECT count(*) FROM tx_state'), '500\n');
    assert.equal((await m.sql('SELECT SUM(qty) FROM orders_copy.items')).trim(), String(500 * 501));
  });

  it('a process restarted during the pause makes the run Inconsistent (exit 15); snapshots are kept, labelled false', async () => {
    const before = new Set((await groupSnapshots()).map((s) => s.id));
    const oldPid = app.child?.pid;
    const holdfast = t.cli.start(['backup', '--group', groupFile]);
    const done = collect(holdfast, { timeoutMs: 300_000 });
    await waitFor('the group to pause', () => (existsSync(t.path('app', 'paused')) ? Promise.resolve() : Promise.reject(new Error('not paused'))), 60_000);
    const newPid = await app.restart();
    const r = await done;
    assert.equal(r.code, 15, show(r));
    assert.deepEqual(stderrLines(r), [`holdfast: group scalardb is Inconsistent: app: pid ${oldPid} → ${newPid}; app: restarts 0 → 1; its snapshots are kept, labelled holdfast.group.consistent=false`]);
    assert.ok(!existsSync(t.path('app', 'paused')), 'resumed');
    const fresh = (await groupSnapshots()).filter((s) => !before.has(s.id));
    assert.equal(fresh.length, 3);
    for (const s of fresh) assert.equal(s.labels['holdfast.group.consistent'], 'false');
  });

  it('resumes the group when a member cannot be dumped, and fails with that member\'s error', async () => {
    const bad = t.path('bad-group.yaml');
    await writeFile(bad, stringify({
      name: 'broken', members: [{ url: pg.url('coordinator') }, { url: m.url('orders', 'wrong-password'), freeze: false }],
      pause: { shell: `touch ${t.path('app')}/paused-broken` }, resume: { shell: `rm ${t.path('app')}/paused-broken` },
    }));
    const r = await t.cli.run(['backup', '--group', bad], { timeoutMs: 120_000 });
    assert.equal(r.code, 14, show(r));
    assert.match(stderrLines(r)[0] ?? '', /^holdfast: mariadb 127\.0\.0\.1:\d+\/orders: authentication failed: /);
    assert.ok(!existsSync(t.path('app', 'paused-broken')), 'resume ran');
    const inBackup = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'";
    assert.equal(await pg.psql('postgres', inBackup), '0\n', 'the postgres freeze was released');
  });

  it('refuses an invalid group file with one clear line', async () => {
    const bad = t.path('invalid.yaml');
    await writeFile(bad, stringify({ name: 'x', members: [{ url: pg.url('coordinator') }], pause: { shell: 'true' } }));
    const r = await t.cli.run(['backup', '--group', bad]);
    assert.equal(r.code, 2, show(r));
    assert.deepEqual(stderrLines(r), [`holdfast: ${bad}: give both pause and resume, or neither`]);
  });
});
