/**
 * A consistency group from the operator, on a real control plane with the node agent:
 * a PostgreSQL and a MariaDB database (real servers, reached from their "database pods"
 * by exec) and the application writing to them, a Deployment paused by scale-to-zero
 * (the node agent deletes its pods and starts them again). The Backup records the pause
 * window, dumps both members inside it and restores the replica count. A second Backup,
 * whose MariaDB pod is restarted inside the window, is marked Inconsistent with the pod
 * and its restart count in status.consistency.podChanges; with `onPodChange: fail` the
 * same change fails the Backup. A restart of the pod that holds a member's freeze (its
 * exec'd session dies with the container) fails the Backup: the freeze was lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api } from '@kubernetes/client-node';
import { MARIADB_PASSWORD, startMariadb, type MariadbServer } from '../helpers/databases/mariadb.ts';
import { PG_PASSWORD, startPostgres, type PgServer } from '../helpers/databases/postgres.ts';
import { eventually } from '../helpers/eventually.ts';
import { at, create, databasePod, finished, get, hooksNamed, show, startRecipeWorld, type Phased, type RecipeWorld } from './backup-recipe-fixture.ts';

const NS = 'ledger';
const REPLICAS = 2;

let w: RecipeWorld;
let pg: PgServer;
let maria: MariadbServer;
let apps: AppsV1Api;

before(async () => {
  [w, pg, maria] = await Promise.all([startRecipeWorld('group'), startPostgres(), startMariadb()]);
  apps = w.kc.makeApiClient(AppsV1Api);
  await w.cp.createNamespace(NS);
  await w.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'db-credentials' }, stringData: { pg: PG_PASSWORD, maria: MARIADB_PASSWORD } } });
  await databasePod(w, { namespace: NS, name: 'accounts-0', container: 'postgres', labels: { app: 'accounts-db' }, env: { PGHOST: '127.0.0.1', PGPORT: String(pg.port), PGUSER: 'postgres', PATH: `${pg.binDir}:/usr/bin:/bin` } });
  await databasePod(w, { namespace: NS, name: 'transfers-0', container: 'mariadb', labels: { app: 'transfers-db' }, env: { MYSQL_HOST: '127.0.0.1', MYSQL_TCP_PORT: String(maria.port), PATH: '/usr/bin:/bin' } });
  await pg.psql('postgres', 'CREATE DATABASE accounts');
  await pg.psql('accounts', 'CREATE TABLE accounts (id int PRIMARY KEY, balance bigint); INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 5000) g');
  await maria.sql('CREATE DATABASE transfers');
  await maria.sql('CREATE TABLE transfers (id INT AUTO_INCREMENT PRIMARY KEY, amount BIGINT) ENGINE=InnoDB; INSERT INTO transfers (amount) SELECT seq FROM seq_1_to_5000', 'transfers');
  const labels = { app: 'ledger-api' };
  await apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: 'ledger-api' },
      spec: {
        replicas: REPLICAS, selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'api', image: 'debian', command: ['sleep', '36000'] }] } },
      },
    },
  });
  await eventually('the ledger-api pods to run', () => runningApiPods().then((n) => (n === REPLICAS ? true : undefined)), 90_000);
});

after(async () => {
  await w?.stop();
  await Promise.all([pg?.stop(), maria?.stop()]);
});

async function runningApiPods(): Promise<number> {
  const pods = await w.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=ledger-api' });
  return pods.items.filter((p) => p.status?.phase === 'Running' && p.metadata?.deletionTimestamp === undefined).length;
}

function groupBackup(name: string, group: object = {}, transfersFreeze: object | undefined = undefined): object {
  return {
    apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name },
    spec: {
      repositoryRef: { name: 'main' }, method: 'dump', selection: { includedKinds: ['ConfigMap'] },
      consistencyGroup: {
        skewMargin: '2s', verifyPods: true, ...group,
        members: [
          { name: 'accounts', recipeRef: { name: 'postgresql' }, podSelector: { matchLabels: { app: 'accounts-db' } }, parameters: { database: 'accounts' }, parameterSecrets: { password: { name: 'db-credentials', key: 'pg' } } },
          {
            name: 'transfers', recipeRef: { name: 'mariadb' }, podSelector: { matchLabels: { app: 'transfers-db' } }, parameters: { database: 'transfers' },
            parameterSecrets: { password: { name: 'db-credentials', key: 'maria' } }, ...(transfersFreeze ? { freeze: transfersFreeze } : {}),
          },
          { name: 'ledger-api', workloadRef: { kind: 'Deployment', name: 'ledger-api' }, freeze: { mode: 'scale-to-zero', timeoutSeconds: 120 } },
        ],
      },
    },
  };
}

function steps(b: Phased): string[][] {
  return (b.status?.hooks ?? []).map((h) => [String(h.name), String(h.phase), String(h.outcome)]);
}

/** Kills the container of `pod` once the window of Backup `name` opened (pausedAt recorded). */
async function restartInWindow(name: string, pod: string): Promise<number> {
  await eventually(`the window of ${name} to open`, async () => ((await get(w, 'backups', NS, name)).status?.consistency?.pausedAt ? true : undefined), 90_000);
  const before = (await w.core.readNamespacedPod({ namespace: NS, name: pod })).status?.containerStatuses?.[0]?.restartCount ?? 0;
  await w.agent.killContainer(NS, pod);
  await eventually(`${pod} to restart`, async () => {
    const s = (await w.core.readNamespacedPod({ namespace: NS, name: pod })).status?.containerStatuses?.[0];
    return (s?.restartCount ?? 0) > before && s?.state?.running ? true : undefined;
  }, 30_000);
  return before;
}

/** Every member frozen before pausedAt and thawed after unpausedAt. */
function assertFrozenAround(b: Phased, pausedAt: number, unpausedAt: number): void {
  for (const name of ['backup-mode', 'read-lock', 'scale-to-zero']) {
    const [h] = hooksNamed(b, name, 'quiesce');
    assert.equal(h?.outcome, 'Succeeded', `${name}: ${show(b)}`);
    assert.ok(at(h?.finishedAt) <= pausedAt, `${name} finished before pausedAt`);
  }
  for (const name of ['end-backup-mode', 'release-lock', 'scale-to-zero']) {
    const [h] = hooksNamed(b, name, 'unquiesce');
    assert.equal(h?.outcome, 'Succeeded', `${name}: ${show(b)}`);
    assert.ok(at(h?.startedAt) >= unpausedAt, `${name} started after unpausedAt`);
  }
  assert.equal(hooksNamed(b, 'scale-to-zero', 'quiesce')[0]?.message, `replicas ${REPLICAS}→0`);
  assert.equal(hooksNamed(b, 'scale-to-zero', 'unquiesce')[0]?.message, `replicas 0→${REPLICAS}`);
}

/** Both databases' dumps, taken inside the window after the skew margin, one snapshot each. */
function assertMemberDumps(b: Phased, pausedAt: number, unpausedAt: number): void {
  const dumps = (b.status?.dumps ?? []).map((d) => [d.member, d.artifact, d.phase]).sort();
  assert.deepEqual(dumps, [['accounts', 'database.pgdump', 'Completed'], ['accounts', 'globals.sql', 'Completed'], ['transfers', 'database.sql', 'Completed']]);
  for (const d of b.status?.dumps ?? []) assert.ok(at(d.startedAt) >= pausedAt + 2000 && at(d.completedAt) <= unpausedAt, `dump ${String(d.artifact)} inside the window after the skew margin`);
  assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump').map((s) => s.name).sort(), ['accounts/database.pgdump', 'accounts/globals.sql', 'transfers/database.sql']);
  assert.ok(hooksNamed(b, 'dump').every((h) => String(h.source).includes('(member ')), show(b));
}

describe('a consistency group of two databases and an application, from the operator', () => {
  it('pauses all, records the window, dumps both databases inside it and scales the application back', async (t) => {
    let minPods = REPLICAS;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        minPods = Math.min(minPods, await runningApiPods());
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await create(w, 'backups', NS, groupBackup('ledger-1'));
    const b = await finished(w, 'backups', NS, 'ledger-1', 180_000);
    watching = false;
    await watcher;
    assert.equal(b.status?.phase, 'Completed', show(b));
    const c = b.status?.consistency ?? {};
    const pausedAt = at(c.pausedAt);
    const unpausedAt = at(c.unpausedAt);
    assert.ok(pausedAt < unpausedAt, show(b));
    assert.equal(c.consistent, true);
    assert.equal(c.podChanges, undefined);
    assert.equal(minPods, 0, 'the application had no running pod while paused');

    assertFrozenAround(b, pausedAt, unpausedAt);
    assertMemberDumps(b, pausedAt, unpausedAt);

    const d = await apps.readNamespacedDeployment({ namespace: NS, name: 'ledger-api' });
    assert.equal(d.spec?.replicas, REPLICAS, 'the replica count is restored');
    assert.deepEqual(Object.keys(d.metadata?.annotations ?? {}).filter((k) => k.startsWith('holdfast.dev/')), [], 'no freeze annotations left');
    await eventually('the ledger-api pods to run again', () => runningApiPods().then((n) => (n === REPLICAS ? true : undefined)), 90_000);
    t.diagnostic(`window ${unpausedAt - pausedAt} ms; steps: ${steps(b).map((s) => s.join('/')).join(', ')}`);
  });

  it('marks the Backup Inconsistent when a member pod restarts inside the window', async (t) => {
    // The MariaDB member is dumped without a lock here (crash-consistent), so its pod can restart in the window without ending a held freeze.
    await create(w, 'backups', NS, groupBackup('ledger-2', { skewMargin: '5s' }, { mode: 'none' }));
    const restarts = await restartInWindow('ledger-2', 'transfers-0');
    const b = await finished(w, 'backups', NS, 'ledger-2', 180_000);
    assert.equal(b.status?.phase, 'Inconsistent', show(b));
    const c = b.status?.consistency ?? {};
    assert.equal(c.consistent, false);
    assert.deepEqual(c.podChanges, [`${NS}/transfers-0 restarts ${restarts}→${restarts + 1}`]);
    assert.ok(at(c.pausedAt) < at(c.unpausedAt));
    assert.equal((b.status?.dumps ?? []).filter((d) => d.phase === 'Completed').length, 3, show(b));
    t.diagnostic(`podChanges: ${JSON.stringify(c.podChanges)}`);
  });

  it('fails the Backup instead with onPodChange: fail', async () => {
    await create(w, 'backups', NS, groupBackup('ledger-3', { skewMargin: '5s', onPodChange: 'fail' }, { mode: 'none' }));
    const restarts = await restartInWindow('ledger-3', 'transfers-0');
    const b = await finished(w, 'backups', NS, 'ledger-3', 180_000);
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', new RegExp(`pods changed during the pause window: ${NS}/transfers-0 restarts ${restarts}→${restarts + 1}`));
    assert.deepEqual(b.status?.consistency?.podChanges, [`${NS}/transfers-0 restarts ${restarts}→${restarts + 1}`]);
    assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump'), [], 'the dumps of a failed group are not kept');
    const d = await apps.readNamespacedDeployment({ namespace: NS, name: 'ledger-api' });
    assert.equal(d.spec?.replicas, REPLICAS);
  });

  it('fails the Backup when the pod holding a member\'s freeze restarts in the window: the freeze was lost', async () => {
    await create(w, 'backups', NS, groupBackup('ledger-4', { skewMargin: '5s' }));
    await restartInWindow('ledger-4', 'accounts-0');
    const b = await finished(w, 'backups', NS, 'ledger-4', 180_000);
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', /the freeze of quiesce of member accounts \(clusterrecipe\/postgresql\) ended before the capture was cut/);
    assert.deepEqual(['end-backup-mode', 'release-lock', 'scale-to-zero'].map((n) => hooksNamed(b, n, 'unquiesce')[0]?.outcome), ['Succeeded', 'Succeeded', 'Succeeded'], show(b));
    assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump'), []);
    assert.equal((await pg.psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holdfast-freeze'")).trim(), '0');
    assert.equal((await maria.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%holdfast-freeze%' AND ID <> CONNECTION_ID()")).trim(), '0');
    assert.equal((await apps.readNamespacedDeployment({ namespace: NS, name: 'ledger-api' })).spec?.replicas, REPLICAS);
  });
});
