/**
 * MariaDB through `holdfast backup mariadb://…` / `restore --into`, against a real
 * server: a consistent --single-transaction dump under running writers, and the
 * FLUSH TABLES WITH READ LOCK freeze: it blocks writes, and it ends by itself within
 * its timeout when holdfast is killed with SIGKILL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { show, stderrLines } from '../helpers/cli.ts';
import { MARIADB_PASSWORD, startMariadb } from '../helpers/databases/mariadb.ts';
import type { MariadbServer } from '../helpers/databases/mariadb.ts';
import { waitFor } from '../helpers/databases/process.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

/** Transfers between accounts (sum stays 1,000,000) and appends events, one transaction each, fed to one client session until stopped. */
function startWriter(m: MariadbServer): { stop(): Promise<void> } {
  const child = spawn('mariadb', ['--no-defaults', '-h127.0.0.1', `-P${m.port}`, '--protocol=TCP', '-uroot', 'shop'], {
    stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, MYSQL_PWD: MARIADB_PASSWORD },
  });
  child.stdin.on('error', () => {});
  let i = 0;
  const timer = setInterval(() => {
    for (let n = 0; n < 5; n++, i++) {
      child.stdin.write(`START TRANSACTION; UPDATE accounts SET balance = balance - 1 WHERE id = ${1 + (i % 10)}; UPDATE accounts SET balance = balance + 1 WHERE id = ${1 + ((i + 3) % 10)}; COMMIT;
INSERT INTO events(payload) VALUES (MD5(${i}));\n`);
    }
  }, 2);
  const closed = new Promise((r) => child.once('close', r));
  return { stop: async () => { clearInterval(timer); child.stdin.end(); child.kill('SIGTERM'); await closed; } };
}

const DIGEST = (db: string, upTo: string): string => `SELECT CONCAT(COUNT(*), ':', COALESCE(MAX(id), 0), ':', MD5(COALESCE(GROUP_CONCAT(id, '=', payload ORDER BY id SEPARATOR ','), ''))) FROM ${db}.events WHERE id <= ${upTo}`;
const FROZEN = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%'";

describe('mariadb', () => {
  let m: MariadbServer;
  let t: TestRepository;

  before(async () => {
    m = await startMariadb();
    t = await createTestRepository();
    await m.sql(`CREATE DATABASE shop; SET SESSION group_concat_max_len = 1 << 30;
      CREATE TABLE shop.accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE=InnoDB;
      INSERT INTO shop.accounts SELECT seq, 100000 FROM shop.seq_1_to_10;
      CREATE TABLE shop.events (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(64) NOT NULL) ENGINE=InnoDB;`);
  });
  after(async () => {
    await m?.stop();
    await t?.cleanup();
  });

  it('dumps a consistent state while writers run, and restores it into a new database', async () => {
    const writer = startWriter(m);
    try {
      await waitFor('writer', async () => assert.ok(Number(await m.sql('SELECT COUNT(*) FROM shop.events')) > 300));
      const r = await t.cli.run(['backup', m.url('shop')], { timeoutMs: 300_000 });
      assert.equal(r.code, 0, show(r));
      await waitFor('more writes', async () => assert.ok(Number(await m.sql('SELECT COUNT(*) FROM shop.events')) > 600));
    } finally {
      await writer.stop();
    }
    const r = await t.cli.run(['restore', 'latest', '--into', m.url('shop_copy')]);
    assert.equal(r.code, 0, show(r));
    assert.equal((await m.sql('SELECT SUM(balance) FROM shop_copy.accounts')).trim(), '1000000', 'transfers restored from one read view');
    const restored = (await m.sql(`SET SESSION group_concat_max_len = 1 << 30; ${DIGEST('shop_copy', '18446744073709551615')}`)).trim();
    const upTo = restored.split(':')[1] ?? '0';
    assert.ok(Number(upTo) > 300);
    assert.equal(restored, (await m.sql(`SET SESSION group_concat_max_len = 1 << 30; ${DIGEST('shop', upTo)}`)).trim());
    assert.equal(restored.split(':')[0], upTo, 'every committed row up to the point, no gaps');
    assert.ok(Number(await m.sql('SELECT MAX(id) FROM shop.events')) > Number(upTo), 'the writer went on after the point');
  });

  it('FLUSH TABLES WITH READ LOCK blocks writes while frozen and is released after the capture', async () => {
    const run = t.cli.run(['backup', '--stdin-from-command', 'sleep 3', '--freeze', m.url('shop'), '--freeze-timeout', '30']);
    await waitFor('freeze', async () => assert.equal((await m.sql(FROZEN)).trim(), '1'), 20_000);
    await assert.rejects(m.sql('SET SESSION lock_wait_timeout = 1; INSERT INTO shop.events(payload) VALUES (\'x\')'), /Lock wait timeout exceeded/);
    const r = await run;
    assert.equal(r.code, 0, show(r));
    assert.equal((await m.sql(FROZEN)).trim(), '0');
    await m.sql('SET SESSION lock_wait_timeout = 1; INSERT INTO shop.events(payload) VALUES (\'after\')');
  });

  it('a freeze ends within its timeout when holdfast is killed with SIGKILL', async () => {
    const child = t.cli.start(['backup', '--stdin-from-command', 'sleep 60', '--freeze', m.url('shop'), '--freeze-timeout', '4']);
    await waitFor('freeze', async () => assert.equal((await m.sql(FROZEN)).trim(), '1'), 20_000);
    const frozenAt = Date.now();
    child.kill('SIGKILL');
    await assert.rejects(m.sql('SET SESSION lock_wait_timeout = 1; INSERT INTO shop.events(payload) VALUES (\'blocked\')'), /Lock wait timeout/);
    await waitFor('writable again', () => m.sql('SET SESSION lock_wait_timeout = 1; INSERT INTO shop.events(payload) VALUES (\'free\')'), 15_000);
    assert.ok(Date.now() - frozenAt <= 4000 + 2000, `writable again ${Date.now() - frozenAt} ms after the freeze (timeout 4 s)`);
  });

  it('a wrong password fails with one line and stores nothing', async () => {
    const r = await t.cli.run(['backup', m.url('shop', 'nope')]);
    assert.equal(r.code, 14, show(r));
    assert.equal(stderrLines(r).length, 1, show(r));
    assert.match(stderrLines(r)[0] ?? '', /^holdfast: mariadb 127\.0\.0\.1:\d+\/shop: authentication failed: .*Access denied/);
  });
});
