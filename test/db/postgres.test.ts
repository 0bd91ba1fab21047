/**
 * PostgreSQL through `holdfast backup postgres://…` / `restore --into`, against a real
 * server: a consistent dump under a running writer, clear errors that store nothing,
 * a small second backup, and the held-session freeze (pg_backup_start) that ends
 * itself when holdfast is killed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { show, stderrLines } from '../helpers/cli.ts';
import { startPostgres } from '../helpers/databases/postgres.ts';
import type { PgServer } from '../helpers/databases/postgres.ts';
import { waitFor } from '../helpers/databases/process.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

async function snapshotCount(t: TestRepository): Promise<number> {
  const r = await t.cli.run(['snapshots', '--json']);
  assert.equal(r.code, 0, show(r));
  return (JSON.parse(r.stdout) as unknown[]).length;
}

/** Appends rows 1, 2, 3 … one per transaction until stopped: a committed prefix is the only consistent state. */
function startWriter(pg: PgServer, db: string): { stop(): Promise<void> } {
  const sql = 'DO $$ BEGIN FOR i IN 1..100000 LOOP INSERT INTO events(payload) VALUES (md5(i::text)); COMMIT; PERFORM pg_sleep(0.001); END LOOP; END $$;';
  const child = spawn(`${pg.binDir}/psql`, [...pg.conn, '-d', db, '-qAtX', '-c', sql], { stdio: 'ignore' });
  const closed = new Promise((r) => child.once('close', r));
  return { stop: async () => { child.kill('SIGTERM'); await closed; } };
}

const INVARIANTS = `SELECT (SELECT sum(abalance) FROM pgbench_accounts) = (SELECT sum(bbalance) FROM pgbench_branches)
  AND (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT sum(tbalance) FROM pgbench_tellers)
  AND (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT coalesce(sum(delta), 0) FROM pgbench_history)`;

const EVENTS_DIGEST = (upTo: string): string => `SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || md5(coalesce(string_agg(id || '=' || payload, ',' ORDER BY id), '')) FROM events WHERE id <= ${upTo}`;

describe('postgres', () => {
  let pg: PgServer;
  let t: TestRepository;

  before(async () => {
    pg = await startPostgres();
    t = await createTestRepository();
    await pg.psql('postgres', 'CREATE DATABASE shop');
    await run(pg, ['-i', '-q', '-s', '4', 'shop']);
    await pg.psql('shop', 'CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL)');
  });
  after(async () => {
    await pg?.stop();
    await t?.cleanup();
  });

  it('dumps a consistent state while pgbench and a writer run, and restores it into a new database', async () => {
    const writer = startWriter(pg, 'shop');
    const bench = spawn(`${pg.binDir}/pgbench`, [...pg.conn, '-n', '-c', '2', '-T', '20', 'shop'], { stdio: 'ignore' });
    try {
      await waitFor('writer', async () => assert.ok(Number(await pg.psql('shop', 'SELECT count(*) FROM events')) > 200));
      const r = await t.cli.run(['backup', pg.url('shop')], { timeoutMs: 300_000 });
      assert.equal(r.code, 0, show(r));
    } finally {
      bench.kill('SIGTERM');
      await writer.stop();
    }
    const r = await t.cli.run(['restore', 'latest', '--into', pg.url('shop_copy')]);
    assert.equal(r.code, 0, show(r));
    assert.equal(await pg.psql('shop_copy', INVARIANTS), 't\n', 'pgbench balances restored from one transaction snapshot');
    const restored = (await pg.psql('shop_copy', EVENTS_DIGEST('(SELECT max(id) FROM events)'))).trim();
    const upTo = restored.split(':')[1] ?? '0';
    assert.ok(Number(upTo) > 200);
    assert.equal(restored, (await pg.psql('shop', EVENTS_DIGEST(upTo))).trim(), 'the restored events are exactly the source prefix up to the consistent point');
    assert.equal(restored.split(':')[0], upTo, 'no gaps: every committed row before the point is there');
    const accounts = 'SELECT count(*) || md5(string_agg(aid || bid::text, \',\' ORDER BY aid)) FROM pgbench_accounts';
    assert.equal(await pg.psql('shop_copy', accounts), await pg.psql('shop', accounts));
  });

  it('loads into an existing database only after --drop replaced it', async () => {
    await pg.psql('postgres', 'CREATE DATABASE shop_drop');
    await pg.psql('shop_drop', 'CREATE TABLE leftover (x int)');
    const r = await t.cli.run(['restore', 'latest', '--into', pg.url('shop_drop'), '--drop']);
    assert.equal(r.code, 0, show(r));
    assert.equal(await pg.psql('shop_drop', "SELECT count(*) FROM pg_tables WHERE tablename = 'leftover'"), '0\n');
    assert.ok(Number(await pg.psql('shop_drop', 'SELECT count(*) FROM events')) > 200);
  });

  it('stores little on a second backup after ~1% of the rows changed', async () => {
    await pg.psql('postgres', 'CREATE DATABASE inc');
    await pg.psql('inc', "CREATE TABLE items AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS label, g * 3 AS qty FROM generate_series(1, 200000) g; ALTER TABLE items ADD PRIMARY KEY (id)");
    const first = await t.cli.run(['backup', '--json', pg.url('inc')]);
    assert.equal(first.code, 0, show(first));
    // ~1% of the rows, in one key range (recently written rows are the ones that change)
    await pg.psql('inc', 'UPDATE items SET qty = qty + 1 WHERE id BETWEEN 120001 AND 122000');
    const second = await t.cli.run(['backup', '--json', pg.url('inc')]);
    assert.equal(second.code, 0, show(second));
    const summary = (r: typeof first): { bytesRead: number; bytesStored: number } => {
      const line = r.stdout.split('\n').find((l) => l.includes('"summary"')) ?? '{}';
      return JSON.parse(line) as { bytesRead: number; bytesStored: number };
    };
    const a = summary(first);
    const b = summary(second);
    process.stdout.write(`# postgres: dump ${a.bytesRead} B; first backup stored ${a.bytesStored} B; second (1% rows changed) stored ${b.bytesStored} B (${((100 * b.bytesStored) / a.bytesStored).toFixed(1)}%)\n`);
    assert.ok(b.bytesStored < a.bytesStored * 0.1, `second backup stored ${b.bytesStored} B of a first ${a.bytesStored} B`);
  });

  for (const c of [
    { name: 'a wrong password', url: () => pg.url('shop', 'wrong'), code: 14, line: /^holdfast: postgres 127\.0\.0\.1:\d+\/shop: authentication failed: .*password authentication failed/ },
    { name: 'an unreachable database (closed port)', url: () => 'postgres://postgres:x@127.0.0.1:1/shop', code: 14, line: /^holdfast: postgres 127\.0\.0\.1:1\/shop: cannot reach the database: .*Connection refused/ },
    { name: 'a missing database', url: () => pg.url('nosuchdb'), code: 14, line: /nosuchdb.*does not exist/ },
  ]) {
    it(`fails with one clear line and stores nothing for ${c.name}`, async () => {
      const before = await snapshotCount(t);
      const r = await t.cli.run(['backup', c.url()]);
      assert.equal(r.code, c.code, show(r));
      assert.deepEqual(stderrLines(r).length, 1, show(r));
      assert.match(stderrLines(r)[0] ?? '', c.line);
      assert.equal(await snapshotCount(t), before);
    });
  }

  it('a failing dump command stores no snapshot', async () => {
    await pg.psql('postgres', 'CREATE DATABASE locked');
    await pg.psql('locked', "CREATE TABLE secret (x int); CREATE ROLE reader LOGIN PASSWORD 'r'; GRANT CONNECT ON DATABASE locked TO reader");
    const before = await snapshotCount(t);
    const r = await t.cli.run(['backup', `postgres://reader:r@127.0.0.1:${pg.port}/locked`]);
    assert.equal(r.code, 1, show(r));
    assert.equal(stderrLines(r).length, 1, show(r));
    assert.match(stderrLines(r)[0] ?? '', /^holdfast: postgres 127\.0\.0\.1:\d+\/locked: pg_dump of .* exited with status 1: .*permission denied/);
    assert.equal(await snapshotCount(t), before);
  });

  it('holds backup mode in a session that ends itself when holdfast is killed', async () => {
    const inBackup = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND application_name = 'holdfast'";
    const child = t.cli.start(['backup', '--stdin-from-command', 'sleep 60', '--freeze', pg.url('shop'), '--freeze-timeout', '4']);
    const started = Date.now();
    await waitFor('backup mode', async () => assert.equal(await pg.psql('postgres', inBackup), '1\n'), 20_000);
    child.kill('SIGKILL');
    await waitFor('backup mode to end', async () => assert.equal(await pg.psql('postgres', inBackup), '0\n'), 15_000);
    assert.ok(Date.now() - started < 4000 + 8000, 'ended within the freeze timeout (plus start-up)');
  });
});

function run(pg: PgServer, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(`${pg.binDir}/pgbench`, [...pg.conn, ...args], { stdio: 'ignore' });
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`pgbench ${args.join(' ')} exited ${code}`))));
  });
}
