/**
 * The shipped redis ClusterRecipe from the operator, on a real control plane with the
 * node agent and real Redis servers (password-protected): BGSAVE and wait, the RDB file
 * streamed into the repository, loaded into a fresh server by a Restore (the RDB put in
 * place, DEBUG RELOAD NOSAVE): the data set's DEBUG DIGEST is equal. A wrong password
 * fails the Backup as an authentication error without the password in it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis, type RedisServer } from '../helpers/databases/redis.ts';
import { create, databasePod, finished, show, startRecipeWorld, type RecipeWorld } from './backup-recipe-fixture.ts';

const NS = 'cache';
const PASSWORD = 'redis-test-secret';

let w: RecipeWorld;
let source: RedisServer;
let fresh: RedisServer;

function binding(app: string, server: RedisServer, key = 'password'): object {
  return {
    recipeRef: { name: 'redis' }, podSelector: { matchLabels: { app } }, container: 'redis',
    parameters: { port: String(server.port) }, parameterSecrets: { password: { name: 'redis-credentials', key } },
  };
}

before(async () => {
  [w, source, fresh] = await Promise.all([startRecipeWorld('redis-recipe'), startRedis(PASSWORD), startRedis(PASSWORD)]);
  await w.cp.createNamespace(NS);
  await w.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'redis-credentials' }, stringData: { password: PASSWORD, wrong: 'not-the-redis-password' } } });
  await databasePod(w, { namespace: NS, name: 'redis-0', container: 'redis', labels: { app: 'redis' }, env: { PATH: '/usr/bin:/bin' } });
  await databasePod(w, { namespace: NS, name: 'redis-fresh', container: 'redis', labels: { app: 'redis-fresh' }, env: { PATH: '/usr/bin:/bin' } });
  await source.cli('DEBUG', 'POPULATE', '20000', 'key', '64');
  await source.cli('HSET', 'user:1', 'name', 'Ada', 'role', 'admin');
  await source.cli('RPUSH', 'queue', 'a', 'b', 'c');
  await source.cli('SADD', 'tags', 'x', 'y');
  await fresh.cli('SET', 'stale', 'replaced by the load');
});

after(async () => {
  await w?.stop();
  await Promise.all([source?.stop(), fresh?.stop()]);
});

describe('redis ClusterRecipe from the operator', () => {
  it('saves the RDB, streams it into the repository and loads it into a fresh server with an equal digest', async (t) => {
    await create(w, 'backups', NS, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name: 'redis-1' }, spec: { repositoryRef: { name: 'main' }, method: 'dump', selection: { includedKinds: ['ConfigMap'] }, recipe: binding('redis', source) } });
    const b = await finished(w, 'backups', NS, 'redis-1');
    assert.equal(b.status?.phase, 'Completed', show(b));
    assert.deepEqual((b.status?.hooks ?? []).map((h) => [h.name, h.phase, h.outcome]), [['bgsave', 'prepare', 'Succeeded'], ['rdb', 'dump', 'Succeeded']]);
    assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump').map((s) => s.name), ['dump.rdb']);
    const bytes = Number(b.status?.dumps?.[0]?.bytes ?? 0);
    assert.ok(bytes > 20000 * 16, `the RDB holds the data: ${bytes} bytes`);

    await create(w, 'restores', NS, {
      apiVersion: 'holdfast.dev/v1alpha1', kind: 'Restore', metadata: { name: 'redis-back' },
      spec: { source: { backupName: 'redis-1' }, selection: { includedKinds: ['ConfigMap'] }, recipe: binding('redis-fresh', fresh) },
    });
    const r = await finished(w, 'restores', NS, 'redis-back');
    assert.equal(r.status?.phase, 'Completed', show(r));
    assert.deepEqual((r.status?.hooks ?? []).map((h) => [h.name, h.phase, h.outcome]), [['load', 'load', 'Succeeded'], ['ping', 'verify', 'Succeeded']]);
    assert.equal((await fresh.cli('DBSIZE')).trim(), (await source.cli('DBSIZE')).trim());
    assert.equal((await fresh.cli('DEBUG', 'DIGEST')).trim(), (await source.cli('DEBUG', 'DIGEST')).trim());
    assert.equal((await fresh.cli('EXISTS', 'stale')).trim(), '0', 'the load replaced the whole data set');
    assert.equal((await fresh.cli('HGET', 'user:1', 'name')).trim(), 'Ada');
    t.diagnostic(`RDB of ${bytes} bytes, ${(await fresh.cli('DBSIZE')).trim()} keys restored`);
  });

  it('a wrong password fails the Backup as an authentication error', async () => {
    await create(w, 'backups', NS, { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name: 'redis-wrong-pw' }, spec: { repositoryRef: { name: 'main' }, method: 'dump', selection: { includedKinds: ['ConfigMap'] }, recipe: binding('redis', source, 'wrong') } });
    const b = await finished(w, 'backups', NS, 'redis-wrong-pw');
    assert.equal(b.status?.phase, 'Failed', show(b));
    const error = b.status?.errors?.at(-1) ?? '';
    assert.match(error, /prepare step 'bgsave' \(clusterrecipe\/redis\) on cache\/redis-0\/redis: authentication failed/);
    assert.ok(!JSON.stringify(b.status).includes('not-the-redis-password'));
    assert.deepEqual((b.status?.snapshots ?? []).filter((s) => s.type === 'dump'), []);
  });
});
