/**
 * The shipped mariadb ClusterRecipe from the operator, on a real control plane with the
 * node agent and real MariaDB servers. The freeze is the recipe's quiesce: FLUSH TABLES
 * WITH READ LOCK held by one client session (exec'd in the database pod) that sleeps
 * `freeze.timeoutSeconds` on the server and then unlocks by itself. A writer inserts rows
 * all along, timing each insert: an insert started inside the window completes only
 * after the unquiesce step. Unquiesce runs even when a later quiesce step fails; a freeze
 * that outlives its timeout is ended by the watchdog and fails the Backup, and the held
 * session alone, with nobody thawing it, ends the freeze after the timeout; a real
 * `holdfast operator` killed with SIGKILL mid-freeze leaves the database writable again
 * well within the timeout, and the restarted operator completes the Backup. The dump
 * (taken under the writer) restores into a fresh server with equal row counts and
 * checksums, the feed table exactly a prefix of what was written. The example Recipe
 * (deploy/examples/recipe-mariadb.yaml) freezes, releases, dumps and loads the same way.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { clientNodeTransport, PodExecExecutor } from '#src/controllers/actions/pod-exec.ts';
import { expand } from '#src/controllers/consistency/parameters.ts';
import { MARIADB_PASSWORD, startMariadb, type MariadbServer } from '../helpers/databases/mariadb.ts';
import { eventually } from '../helpers/eventually.ts';
import { stopControllers } from '../helpers/operator-controllers.ts';
import { at, create, databasePod, G, finished, get, hooksNamed, show, startOperatorProcess, startRecipeWorld, type OperatorProcess, type Phased, type RecipeWorld } from './backup-recipe-fixture.ts';

let w: RecipeWorld;
let source: MariadbServer;
let fresh: MariadbServer;

const NS = 'maria';
const INSERT = 'INSERT INTO feed (done_at) VALUES (SYSDATE(6))';
const CHECKSUM = (table: string, where = 'TRUE') => `SELECT CONCAT(COUNT(*), ':', COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', ${table === 'items' ? 'id, body' : "id, DATE_FORMAT(done_at, '%Y-%m-%d %H:%i:%s.%f')"}))), 0)) FROM ${table} WHERE ${where}`;

function binding(app: string, extra: object = {}): object {
  return {
    recipeRef: { name: 'mariadb' }, podSelector: { matchLabels: { app } }, container: 'mariadb',
    parameters: { database: 'app' }, parameterSecrets: { password: { name: 'maria-credentials', key: 'password' } }, ...extra,
  };
}

/** A quiesce hook in the database pod: it runs after the read lock is taken, so it keeps the window open. */
function windowHook(name: string, script: string): object {
  return { name, phase: 'quiesce', exec: { command: ['sh', '-c', script] }, target: { podSelector: { matchLabels: { app: 'maria' } } }, timeoutSeconds: 120 };
}

function backup(name: string, recipe: object, hooks: object[] = []): object {
  return { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name }, spec: { repositoryRef: { name: 'main' }, method: 'dump', selection: { includedKinds: ['ConfigMap'] }, recipe, hooks } };
}

/** One insert with a short lock wait: resolves true when it went through, false when the lock held it. */
async function canWrite(): Promise<boolean> {
  try {
    await source.sql(`SET SESSION lock_wait_timeout = 1; ${INSERT}`, 'app');
    return true;
  } catch (err) {
    if (/Lock wait timeout/i.test(String(err))) return false;
    throw err;
  }
}

async function freezeSessions(): Promise<number> {
  return Number((await source.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%holdfast-freeze%' AND ID <> CONNECTION_ID()")).trim());
}

/** Inserts one row at a time, each timed, until stopped. */
function startWriter(): { stop(): Promise<Array<{ start: number; end: number }>> } {
  const writes: Array<{ start: number; end: number }> = [];
  let writing = true;
  const loop = (async () => {
    while (writing) {
      const start = Date.now();
      await source.sql(INSERT, 'app');
      writes.push({ start, end: Date.now() });
    }
  })();
  return {
    stop: async () => {
      writing = false;
      await loop;
      return writes;
    },
  };
}

before(async () => {
  [w, source, fresh] = await Promise.all([startRecipeWorld('maria-recipe'), startMariadb(), startMariadb()]);
  await w.cp.createNamespace(NS);
  await w.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'maria-credentials' }, stringData: { password: MARIADB_PASSWORD } } });
  // The shipped recipe finds its server through MYSQL_HOST and MYSQL_TCP_PORT; clients without
  // --no-defaults (the example Recipe) read it from $MYSQL_HOME/my.cnf, as in an image whose client config points at the server.
  const env = async (name: string, port: number): Promise<Record<string, string>> => {
    const home = join(w.dir, name);
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'my.cnf'), `[client]\nhost=127.0.0.1\nport=${port}\n`);
    return { MYSQL_HOST: '127.0.0.1', MYSQL_TCP_PORT: String(port), MYSQL_HOME: home, PATH: '/usr/bin:/bin' };
  };
  await databasePod(w, { namespace: NS, name: 'maria-0', container: 'mariadb', labels: { app: 'maria' }, env: await env('maria-0', source.port) });
  await databasePod(w, { namespace: NS, name: 'maria-fresh', container: 'mariadb', labels: { app: 'maria-fresh' }, env: await env('maria-fresh', fresh.port) });
  await source.sql('CREATE DATABASE app');
  await source.sql(`CREATE TABLE items (id INT PRIMARY KEY, body VARCHAR(64)) ENGINE=InnoDB;
    INSERT INTO items SELECT seq, MD5(seq) FROM seq_1_to_20000;
    CREATE TABLE feed (id INT AUTO_INCREMENT PRIMARY KEY, done_at DATETIME(6) NOT NULL) ENGINE=InnoDB`, 'app');
});

after(async () => {
  await w?.stop();
  await Promise.all([source?.stop(), fresh?.stop()]);
});

function only(b: Phased, name: string): Record<string, unknown> {
  const [h, ...more] = hooksNamed(b, name);
  assert.ok(h !== undefined && more.length === 0, `one ${name} step in ${show(b)}`);
  return h;
}

describe('mariadb ClusterRecipe from the operator', () => {
  it('blocks writes while FLUSH TABLES WITH READ LOCK is held; the dump restores equal to its consistent point', async (t) => {
    const writer = startWriter();
    await create(w, 'backups', NS, backup('maria-1', binding('maria', { freeze: { mode: 'recipe', timeoutSeconds: 60 } }), [windowHook('hold-window', 'sleep 4')]));
    // A probe insert started once the status says the lock is taken.
    await eventually('the read lock to be taken', async () => (hooksNamed(await get(w, 'backups', NS, 'maria-1'), 'read-lock').length > 0 ? true : undefined), 60_000);
    const probe = { start: Date.now(), end: 0 };
    await source.sql(INSERT, 'app');
    probe.end = Date.now();
    const b = await finished(w, 'backups', NS, 'maria-1');
    const writes = await writer.stop();
    assert.equal(b.status?.phase, 'Completed', show(b));
    assert.deepEqual((b.status?.hooks ?? []).map((h) => [h.name, h.phase, h.outcome]), [
      ['read-lock', 'quiesce', 'Succeeded'], ['hold-window', 'quiesce', 'Succeeded'], ['release-lock', 'unquiesce', 'Succeeded'], ['dump', 'dump', 'Succeeded'],
    ]);
    const frozenAt = at(only(b, 'read-lock').finishedAt);
    const releaseAt = at(only(b, 'release-lock').startedAt);
    assert.ok(releaseAt - frozenAt >= 4000, `the window lasted ${releaseAt - frozenAt} ms`);
    const consistency = b.status?.consistency ?? {};
    assert.ok(frozenAt <= at(consistency.pausedAt) && at(consistency.pausedAt) <= at(consistency.unpausedAt) && at(consistency.unpausedAt) <= releaseAt, show(b));

    assert.ok(probe.start > frozenAt && probe.start < releaseAt, `the probe started ${probe.start - frozenAt} ms after the freeze, ${releaseAt - probe.start} ms before unquiesce`);
    assert.ok(probe.end >= releaseAt, `the probe insert completed ${releaseAt - probe.end} ms before unquiesce`);
    const startedInside = writes.filter((x) => x.start > frozenAt && x.start < releaseAt);
    for (const x of startedInside) assert.ok(x.end >= releaseAt, `an insert started ${x.start - frozenAt} ms into the window completed ${releaseAt - x.end} ms before unquiesce`);
    const blocked = writes.filter((x) => x.start < releaseAt - 3000 && x.end >= releaseAt);
    assert.ok(blocked.length > 0, 'an insert was held for most of the window');
    assert.deepEqual(writes.filter((x) => x.end > frozenAt + 1000 && x.end < releaseAt), [], 'no insert completed inside the window');
    // The server's own clock: no row was written while the lock was held.
    const inside = await source.sql(`SELECT COUNT(*) FROM feed WHERE done_at > FROM_UNIXTIME(${(frozenAt + 1000) / 1000}) AND done_at < FROM_UNIXTIME(${releaseAt / 1000})`, 'app');
    assert.equal(inside.trim(), '0');
    const longest = Math.max(...writes.map((x) => x.end - x.start));
    t.diagnostic(`window ${releaseAt - frozenAt} ms; the probe insert started ${probe.start - frozenAt} ms into it and took ${probe.end - probe.start} ms, ending ${probe.end - releaseAt} ms after unquiesce started; ${writes.length} writer inserts, longest ${longest} ms`);

    await create(w, 'restores', NS, {
      apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', metadata: { name: 'maria-back' },
      spec: { source: { backupName: 'maria-1' }, selection: { includedKinds: ['ConfigMap'] }, recipe: binding('maria-fresh') },
    });
    const r = await finished(w, 'restores', NS, 'maria-back');
    assert.equal(r.status?.phase, 'Completed', show(r));
    assert.deepEqual((r.status?.hooks ?? []).map((h) => [h.name, h.phase, h.outcome]), [['load', 'load', 'Succeeded'], ['connect', 'verify', 'Succeeded']]);
    assert.equal(await fresh.sql(CHECKSUM('items'), 'app'), await source.sql(CHECKSUM('items'), 'app'));
    const [count = '', max = ''] = (await fresh.sql("SELECT CONCAT(COUNT(*), ':', COALESCE(MAX(id), 0)) FROM feed", 'app')).trim().split(':');
    assert.equal(count, max, 'the restored feed has no gaps: a consistent point');
    assert.ok(Number(count) > 0);
    assert.equal(await fresh.sql(CHECKSUM('feed'), 'app'), await source.sql(CHECKSUM('feed', `id <= ${max}`), 'app'));
    t.diagnostic(`${count} feed rows in the dump of ${writes.length} written`);
  });

  it('runs unquiesce when a later quiesce step fails, and the Backup fails naming the step', async () => {
    await create(w, 'backups', NS, backup('maria-fail-inside', binding('maria'), [windowHook('flush-cache', 'echo "starting" >&2; echo "cannot flush the cache" >&2; exit 3')]));
    const b = await finished(w, 'backups', NS, 'maria-fail-inside');
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', /quiesce step 'flush-cache' \(hook\) on maria\/maria-0\/mariadb: .*exited with status 3: cannot flush the cache/);
    assert.deepEqual((b.status?.hooks ?? []).map((h) => [h.name, h.outcome]), [['read-lock', 'Succeeded'], ['flush-cache', 'Failed'], ['release-lock', 'Succeeded']]);
    assert.equal(only(b, 'flush-cache').exitCode, 3);
    assert.ok(at(only(b, 'release-lock').startedAt) >= at(only(b, 'flush-cache').finishedAt));
    assert.equal(await canWrite(), true, 'writable right after the failed backup');
    await eventually('the freeze session to end', async () => ((await freezeSessions()) === 0 ? true : undefined), 15_000);
    assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump'), []);
  });

  it('a freeze that outlives freeze.timeoutSeconds is ended by the watchdog and fails the Backup', async (t) => {
    await create(w, 'backups', NS, backup('maria-expired', binding('maria', { freeze: { mode: 'recipe', timeoutSeconds: 3 } }), [windowHook('too-long', 'sleep 9')]));
    await eventually('the read lock to be taken', async () => (hooksNamed(await get(w, 'backups', NS, 'maria-expired'), 'read-lock').length > 0 ? true : undefined), 60_000);
    const probe = { start: Date.now(), end: 0 };
    await source.sql(INSERT, 'app');
    probe.end = Date.now();
    const b = await finished(w, 'backups', NS, 'maria-expired');
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', /the freeze of quiesce of recipe \(clusterrecipe\/mariadb\), quiesce hooks ended before the capture was cut \(timeout 3 s\)/);
    const frozenAt = at(only(b, 'read-lock').finishedAt);
    const hookEnd = at(only(b, 'too-long').finishedAt);
    // The lock was gone about 3 s after it was taken, while the 9 s quiesce hook still ran.
    assert.ok(probe.end - frozenAt < 6000, `the probe insert waited until ${probe.end - frozenAt} ms after the freeze`);
    assert.ok(probe.end < hookEnd - 2000, `the probe insert ended ${hookEnd - probe.end} ms before the quiesce hook`);
    assert.equal(hooksNamed(b, 'release-lock').length, 1, show(b));
    assert.equal(await canWrite(), true);
    t.diagnostic(`the probe insert started ${probe.start - frozenAt} ms after the freeze and went through at ${probe.end - frozenAt} ms (timeout 3 s); the hook ended at ${hookEnd - frozenAt} ms`);
  });

  it("the recipe's held session ends the freeze by itself after freezeTimeoutSeconds, with nobody thawing it", async (t) => {
    const recipe = parse(readFileSync(join(import.meta.dirname, '../../deploy/recipes/mariadb.yaml'), 'utf8')) as { spec: { actions: { quiesce: Array<{ exec: { command: string[] } }> } } };
    const params = { values: { database: 'app', username: 'root', password: MARIADB_PASSWORD, host: '', freezeTimeoutSeconds: '3' }, secrets: [MARIADB_PASSWORD] };
    const command = (recipe.spec.actions.quiesce[0]?.exec.command ?? []).map((x) => expand(x, params));
    const running = new PodExecExecutor({ target: { namespace: NS, pod: 'maria-0', container: 'mariadb' }, command, timeoutMs: 60_000 }, clientNodeTransport(w.kc)).start();
    const lines = createInterface({ input: running.stdout });
    const seen: Array<{ line: string; at: number }> = [];
    lines.on('line', (line) => seen.push({ line, at: Date.now() }));
    try {
      const frozen = await eventually('the lock to be taken', async () => seen.find((l) => l.line.startsWith('holdfast-frozen')), 30_000);
      assert.equal(await canWrite(), false, 'frozen');
      const released = await eventually('the session to release the lock', async () => seen.find((l) => l.line === 'holdfast-released'), 30_000);
      assert.ok(released.at - frozen.at >= 2500 && released.at - frozen.at < 8000, `released ${released.at - frozen.at} ms after the lock was taken`);
      assert.equal(await canWrite(), true, 'writable again while the exec session is still open');
      t.diagnostic(`the session released the lock ${released.at - frozen.at} ms after taking it (freezeTimeoutSeconds 3)`);
    } finally {
      running.stdin.end();
      await running.done.catch(() => undefined);
    }
  });

  it('the example Recipe (deploy/examples/recipe-mariadb.yaml) freezes, is released by its unquiesce step, dumps and loads', async (t) => {
    const recipe = parse(readFileSync(join(import.meta.dirname, '../../deploy/examples/recipe-mariadb.yaml'), 'utf8')) as { metadata: { namespace?: string } };
    await w.custom.createNamespacedCustomObject({ ...G, plural: 'recipes', namespace: NS, body: { ...recipe, metadata: { ...recipe.metadata, namespace: NS } } });
    const use = (app: string): object => ({ recipeRef: { kind: 'Recipe', name: 'mariadb-custom' }, podSelector: { matchLabels: { app } }, parameters: { database: 'app' }, parameterSecrets: { password: { name: 'maria-credentials', key: 'password' } } });
    await create(w, 'backups', NS, backup('maria-example', { ...use('maria'), freeze: { mode: 'recipe', timeoutSeconds: 60 } }, [windowHook('hold-window', 'sleep 3')]));
    await eventually('the read lock to be taken', async () => (hooksNamed(await get(w, 'backups', NS, 'maria-example'), 'read-lock').length > 0 ? true : undefined), 90_000);
    const probe = { start: Date.now(), end: 0 };
    await source.sql(INSERT, 'app');
    probe.end = Date.now();
    const b = await finished(w, 'backups', NS, 'maria-example');
    assert.equal(b.status?.phase, 'Completed', show(b));
    const release = only(b, 'release');
    assert.ok(probe.end >= at(release.startedAt), 'the probe insert waited for unquiesce');
    assert.ok(probe.end - at(release.finishedAt) < 2000, `the unquiesce step released the lock (the insert went through ${probe.end - at(release.finishedAt)} ms after it ended)`);
    assert.equal(await freezeSessions(), 0);

    await create(w, 'restores', NS, {
      apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', metadata: { name: 'maria-example-back' },
      spec: { source: { backupName: 'maria-example' }, selection: { includedKinds: ['ConfigMap'] }, recipe: use('maria-fresh') },
    });
    const r = await finished(w, 'restores', NS, 'maria-example-back');
    assert.equal(r.status?.phase, 'Completed', show(r));
    assert.equal(await fresh.sql(CHECKSUM('items'), 'app'), await source.sql(CHECKSUM('items'), 'app'));
    const [count = '', max = ''] = (await fresh.sql("SELECT CONCAT(COUNT(*), ':', COALESCE(MAX(id), 0)) FROM feed", 'app')).trim().split(':');
    assert.equal(await fresh.sql(CHECKSUM('feed'), 'app'), await source.sql(CHECKSUM('feed', `id <= ${max}`), 'app'));
    t.diagnostic(`unquiesce ${at(release.finishedAt) - at(release.startedAt)} ms; the probe insert went through ${probe.end - at(release.startedAt)} ms after it started; ${count} feed rows restored`);
  });

  it('a holdfast operator killed mid-freeze leaves the database writable within the timeout; the restarted operator completes the Backup', async (t) => {
    await stopControllers(w.controllers);
    w.controllers = [];
    let operator: OperatorProcess = startOperatorProcess(w, 'maria-op-1');
    try {
      const timeoutS = 30;
      await create(w, 'backups', NS, backup('maria-kill', binding('maria', { freeze: { mode: 'recipe', timeoutSeconds: timeoutS } }), [windowHook('hold-window', 'sleep 8')]));
      await eventually('the read lock to be taken', async () => {
        const b = await get(w, 'backups', NS, 'maria-kill');
        return hooksNamed(b, 'read-lock').some((h) => h.outcome === 'Succeeded') ? b : undefined;
      }, 90_000);
      assert.equal(await canWrite(), false, 'writes are blocked while frozen');
      const killedAt = Date.now();
      await operator.kill();
      await eventually('the database to be writable again', async () => ((await canWrite()) ? true : undefined), timeoutS * 1000);
      const writableAfter = Date.now() - killedAt;
      assert.ok(writableAfter < timeoutS * 1000, `writable ${writableAfter} ms after the kill`);
      await eventually('the freeze session to end', async () => ((await freezeSessions()) === 0 ? true : undefined), timeoutS * 1000);
      t.diagnostic(`writable again ${writableAfter} ms after SIGKILL (freeze timeout ${timeoutS} s)`);

      operator = startOperatorProcess(w, 'maria-op-2');
      const b = await finished(w, 'backups', NS, 'maria-kill', 180_000);
      assert.equal(b.status?.phase, 'Completed', `${show(b)}\n${operator.log.join('').slice(-3000)}`);
      assert.equal(hooksNamed(b, 'release-lock').filter((h) => h.outcome === 'Succeeded').length, 1, 'the second run released its own freeze');
      assert.equal((b.status?.dumps ?? []).find((d) => d.artifact === 'database.sql')?.phase, 'Completed');
      assert.equal(await canWrite(), true);
    } finally {
      await operator.kill();
    }
  });
});
