import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forBackup } from './backup-builder.ts';
import { forBackupRepository } from './backup-repository-builder.ts';
import { forBackupPolicy, forClusterBackupPolicy } from './policy-builder.ts';
import { forClusterRecipe, forRecipe } from './recipe-builder.ts';
import { forRestore } from './restore-builder.ts';
import { isHoldfastError } from '../../core/errors.ts';
import { API_VERSION } from '../api/group.ts';

test('every builder yields a valid object with defaults applied', () => {
  const at = new Date('2026-11-21T07:35:00Z');
  const cases = [
    { name: 'repository', build: () => forBackupRepository('main').s3({ bucket: 'backups', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }).allowNamespaces('team-a').result() },
    { name: 'policy', build: () => forBackupPolicy('team-a', 'nightly').repository('main').cron('0 2 * * *', 'Europe/Paris').keep({ daily: 7 }).rpo('26h').result() },
    { name: 'cluster policy', build: () => forClusterBackupPolicy('all').namespaceSelector({ backup: 'yes' }).backupPer('policy').result() },
    { name: 'backup', build: () => forBackup('team-a', 'b1').repository('main').includedKinds('Deployment.apps').createdAt(at).phase('Completed').result() },
    { name: 'restore', build: () => forRestore('team-b', 'r1').fromBackup('b1').mapNamespace('team-a', 'team-b').prune().volumeMode('in-place').result() },
    { name: 'recipe', build: () => forRecipe('team-a', 'pg').container('postgres').exec('dump', 'pg-dump', ['pg_dump', '-Fc']).result() },
    { name: 'cluster recipe', build: () => forClusterRecipe('redis').exec('dump', 'rdb', ['redis-cli', '--rdb', '-']).result() },
  ];
  for (const c of cases) {
    const obj = c.build();
    assert.equal(obj.apiVersion, API_VERSION, c.name);
    assert.ok(obj.metadata.name, c.name);
  }
});

test('result() applies defaults; raw() keeps what was written', () => {
  const b = forBackup('team-a', 'b1').repository('main');
  assert.equal(b.result().spec.method, 'resources');
  assert.equal(b.result().spec.deletionPolicy, 'delete');
  assert.equal(b.raw().spec.method, undefined);
  const p = forBackupPolicy('team-a', 'p').result();
  assert.equal(p.spec.schedule.concurrencyPolicy, 'Forbid');
  assert.equal(p.spec.schedule.suspend, false);
});

test('builders are independent: raw() returns a copy', () => {
  const b = forBackup('team-a', 'b1').labels({ a: '1' });
  const raw = b.raw();
  raw.metadata.labels = { changed: 'yes' };
  assert.deepEqual(b.raw().metadata.labels, { a: '1' });
  assert.deepEqual(b.labels({ b: '2' }).raw().metadata.labels, { a: '1', b: '2' });
});

test('metadata setters', () => {
  const r = forRestore('ns', 'r')
    .annotations({ x: 'y' })
    .finalizers('holdfast.dev/temporary-objects')
    .generation(4)
    .uid('u-1')
    .deletedAt(new Date('2026-11-21T08:00:00.500Z'))
    .raw();
  assert.deepEqual(r.metadata, {
    namespace: 'ns',
    name: 'r',
    annotations: { x: 'y' },
    finalizers: ['holdfast.dev/temporary-objects'],
    generation: 4,
    uid: 'u-1',
    deletionTimestamp: '2026-11-21T08:00:00Z',
  });
});

test('result() of an invalid object throws CONFIG_INVALID naming the field', () => {
  const bad = forRestore('ns', 'r').fromBackup('b1');
  bad.fromSnapshot('main', 'abc123');
  assert.equal(bad.result().spec.source.snapshotId, 'abc123');
  const invalid = forBackup('team-a', 'b1').method('dump');
  assert.throws(
    () => invalid.result(),
    (e) => isHoldfastError(e, 'CONFIG_INVALID') && e.message.startsWith('Backup team-a/b1: spec.method:'),
  );
});
