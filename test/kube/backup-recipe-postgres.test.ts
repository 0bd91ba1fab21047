/**
 * The shipped postgresql ClusterRecipe from the operator, on a real control plane with
 * the node agent and real PostgreSQL servers: a writer inserts rows while a Backup dumps
 * the database by exec in the "database pod"; the dump streams into the repository as a
 * snapshot; a Restore loads it into a fresh server through another pod, and the restored
 * rows are exactly a prefix of what the writer wrote (the dump's consistent point), with
 * equal checksums. Then the clear errors: a wrong password from a parameterSecret, an
 * unreachable database, a failing dump command (no dump snapshot left), a recipeRef that
 * does not exist.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PG_PASSWORD, startPostgres, type PgServer } from '../helpers/databases/postgres.ts';
import { create, databasePod, finished, show, startRecipeWorld, type Phased, type RecipeWorld } from './backup-recipe-fixture.ts';

let w: RecipeWorld;
let source: PgServer;
let fresh: PgServer;

const NS = 'db';

function binding(app: string, extra: object = {}): object {
  return {
    recipeRef: { name: 'postgresql' }, podSelector: { matchLabels: { app } }, container: 'postgres',
    parameters: { database: 'app' }, parameterSecrets: { password: { name: 'pg-credentials', key: 'password' } }, freeze: { mode: 'none' }, ...extra,
  };
}

function backup(name: string, recipe: object): object {
  return { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name }, spec: { repositoryRef: { name: 'main' }, method: 'dump', selection: { includedKinds: ['ConfigMap'] }, recipe } };
}

before(async () => {
  [w, source, fresh] = await Promise.all([startRecipeWorld('pg-recipe'), startPostgres(), startPostgres()]);
  await w.cp.createNamespace(NS);
  await w.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'pg-credentials' }, stringData: { password: PG_PASSWORD, wrong: 'not-the-password' } } });
  const env = (port: number) => ({ PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PATH: `${source.binDir}:/usr/bin:/bin` });
  await databasePod(w, { namespace: NS, name: 'pg-0', container: 'postgres', labels: { app: 'pg' }, env: env(source.port) });
  await databasePod(w, { namespace: NS, name: 'pg-fresh', container: 'postgres', labels: { app: 'pg-fresh' }, env: env(fresh.port) });
  await databasePod(w, { namespace: NS, name: 'pg-nowhere', container: 'postgres', labels: { app: 'pg-nowhere' }, env: env(1) });
  await source.psql('postgres', 'CREATE DATABASE app');
  await source.psql('app', "CREATE TABLE items (id int PRIMARY KEY, body text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 20000) g; CREATE TABLE feed (id serial PRIMARY KEY, at timestamptz DEFAULT now(), v text)");
});

after(async () => {
  await w?.stop();
  await Promise.all([source?.stop(), fresh?.stop()]);
});

const CHECKSUM = (table: string, where = 'true') => `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ';' ORDER BY id)), '') FROM ${table} t WHERE ${where}`;

function assertDumped(b: Phased): void {
  assert.equal(b.status?.phase, 'Completed', show(b));
  const dumps = b.status?.dumps ?? [];
  assert.deepEqual(dumps.map((d) => [d.artifact, d.phase]).sort(), [['database.pgdump', 'Completed'], ['globals.sql', 'Completed']]);
  const snaps = (b.status?.snapshots ?? []).filter((s) => s.type === 'dump');
  assert.deepEqual(snaps.map((s) => s.name).sort(), ['database.pgdump', 'globals.sql']);
  const hook = (b.status?.hooks ?? []).find((h) => h.name === 'dump');
  assert.equal(hook?.outcome, 'Succeeded');
  assert.equal(hook?.target, `${NS}/pg-0/postgres`);
  assert.equal(hook?.exitCode, 0);
}

describe('postgresql ClusterRecipe from the operator', () => {
  it('dumps under a running writer, restores into a fresh server, equal to the consistent point', async () => {
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await source.psql('app', "INSERT INTO feed (v) SELECT md5(random()::text) FROM generate_series(1, 20)");
        written += 20;
      }
    })();
    const t0 = Date.now();
    await create(w, 'backups', NS, backup('pg-1', binding('pg')));
    const b = await finished(w, 'backups', NS, 'pg-1');
    writing = false;
    await writer;
    assertDumped(b);
    assert.ok(written > 0, 'the writer ran during the backup');
    const backupMs = Date.now() - t0;

    await create(w, 'restores', NS, {
      apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', metadata: { name: 'pg-back' },
      spec: { source: { backupName: 'pg-1' }, selection: { includedKinds: ['ConfigMap'] }, recipe: binding('pg-fresh') },
    });
    const r = await finished(w, 'restores', NS, 'pg-back');
    assert.equal(r.status?.phase, 'Completed', show(r));
    assert.deepEqual((r.status?.hooks ?? []).map((h) => [h.name, h.phase, h.outcome]), [['load', 'load', 'Succeeded'], ['connect', 'verify', 'Succeeded']]);
    assert.equal(await fresh.psql('app', CHECKSUM('items')), await source.psql('app', CHECKSUM('items')));
    const restored = (await fresh.psql('app', "SELECT count(*) || ':' || coalesce(max(id), 0) FROM feed")).trim();
    const [count = '', max = ''] = restored.split(':');
    assert.equal(count, max, 'the restored feed has no gaps: a consistent point');
    assert.equal(await fresh.psql('app', CHECKSUM('feed')), await source.psql('app', CHECKSUM('feed', `id <= ${max}`)));
    process.stdout.write(`# backup ${backupMs} ms under a writer (${written} rows written meanwhile), ${count} feed rows in the dump\n`);
  });

  it('a wrong password from the parameterSecret fails the Backup with an authentication error', async () => {
    await create(w, 'backups', NS, backup('pg-wrong-pw', binding('pg', { parameterSecrets: { password: { name: 'pg-credentials', key: 'wrong' } } })));
    const b = await finished(w, 'backups', NS, 'pg-wrong-pw');
    assert.equal(b.status?.phase, 'Failed', show(b));
    const error = b.status?.errors?.at(-1) ?? '';
    assert.match(error, /authentication failed/);
    assert.ok(!error.includes('not-the-password'), 'the password is not in the message');
    assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump'), []);
  });

  it('an unreachable database fails the Backup saying so', async () => {
    await create(w, 'backups', NS, backup('pg-unreachable', binding('pg-nowhere')));
    const b = await finished(w, 'backups', NS, 'pg-unreachable');
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', /cannot reach the database/);
  });

  it('a failing dump command fails the Backup and leaves no dump snapshot', async () => {
    await create(w, 'backups', NS, backup('pg-no-db', binding('pg', { parameters: { database: 'no_such_db' } })));
    const b = await finished(w, 'backups', NS, 'pg-no-db');
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', /no_such_db/);
    assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump'), []);
    assert.equal((b.status?.dumps ?? []).find((d) => d.artifact === 'database.pgdump')?.phase, 'Failed');
  });

  it('a recipeRef that does not exist fails the Backup naming it', async () => {
    await create(w, 'backups', NS, backup('pg-no-recipe', binding('pg', { recipeRef: { name: 'postgres-typo' } })));
    const b = await finished(w, 'backups', NS, 'pg-no-recipe');
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', /ClusterRecipe postgres-typo does not exist/);
  });
});
