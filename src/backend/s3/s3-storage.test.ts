import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomId } from '../../core/ids.ts';
import { isHoldfastError } from '../../core/errors.ts';
import { createBucket, startMinio, type Minio } from '../../../test/helpers/minio.ts';
import { storageContract } from '../storage.contract.ts';
import { parseS3Location } from './s3-location.ts';
import { S3Storage, type S3Options } from './s3-storage.ts';

const MiB = 1024 * 1024;
let minio: Minio;

before(async () => {
  minio = await startMinio();
  await createBucket(minio, 'contract');
  await createBucket(minio, 'contract-locked', { objectLock: true });
});

after(async () => {
  await minio.stop();
});

function storageIn(bucket: string, extra: S3Options = {}): S3Storage {
  const loc = parseS3Location(`s3:${minio.endpoint}/${bucket}/repo-${randomId().slice(0, 12)}`);
  return new S3Storage(loc, { credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey }, ...extra });
}

const fixture = (bucket: string, extra: S3Options = {}) => async () => ({ storage: storageIn(bucket, extra), cleanup: async () => {} });

storageContract('s3 (MinIO)', fixture('contract'));
storageContract('s3 multipart (MinIO, 5 MiB parts)', fixture('contract', { multipartThreshold: 6 * MiB, partSize: 5 * MiB }));
storageContract('s3 versioned bucket with object lock, no default retention (MinIO)', fixture('contract-locked'));

describe('S3 storage against MinIO', () => {
  it('creates a missing bucket on create() and reports exists() false until config is put', async () => {
    const s = storageIn(`fresh-${randomId().slice(0, 8)}`);
    assert.equal(await s.exists(), false);
    await s.create();
    assert.equal(await s.exists(), false);
    await s.put({ type: 'config', name: '' }, Buffer.from('x'));
    assert.equal(await s.exists(), true);
    await s.close();
  });

  it('names the bucket and the operation when credentials are wrong', async () => {
    const loc = parseS3Location(`s3:${minio.endpoint}/contract/x`);
    const s = new S3Storage(loc, { credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: 'wrong-secret-key' } });
    await assert.rejects(s.put({ type: 'keys', name: 'k' }, Buffer.from('x')), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'STORAGE_PERMISSION'), String(err));
      assert.match(err.message, /put keys\/k refused by S3 bucket 'contract'.*SignatureDoesNotMatch/);
      return true;
    });
    await s.close();
  });

  it('says the bucket does not exist when writing into a missing one', async () => {
    const s = storageIn('no-such-bucket');
    await assert.rejects(s.put({ type: 'keys', name: 'k' }, Buffer.from('x')), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'REPO_NOT_FOUND'), String(err));
      assert.match(err.message, /put keys\/k failed: the bucket 'no-such-bucket' does not exist/);
      return true;
    });
    await s.close();
  });

  it('classifies an unreachable endpoint as transient', async () => {
    const s = new S3Storage(parseS3Location('s3:http://127.0.0.1:9/bucket/x'), { credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await assert.rejects(s.get({ type: 'keys', name: 'k' }), (err: unknown) => isHoldfastError(err, 'STORAGE_TRANSIENT'));
    await s.close();
  });
});

describe('S3 object lock (MinIO)', () => {
  it('retains objects by the bucket default, refuses to delete them and names the date', async () => {
    const bucket = `locked-${randomId().slice(0, 8)}`;
    const s = storageIn(bucket, { objectLock: { mode: 'GOVERNANCE', days: 1 } });
    await s.create();
    const h = { type: 'data', name: randomId() } as const;
    await s.put(h, Buffer.from('kept'));
    const info = await s.stat(h);
    assert.ok(info.retainUntil !== undefined && info.retainUntil.getTime() > Date.now() + 23 * 3600_000, 'retained for a day');
    await assert.rejects(s.delete(h), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'OBJECT_LOCKED'), String(err));
      assert.match(err.message, new RegExp(`cannot delete data/${h.name} .* retains it until ${info.retainUntil?.toISOString().slice(0, 10)}`));
      return true;
    });
    assert.equal((await s.get(h)).toString(), 'kept', 'still readable');
    const lock = { type: 'locks', name: 'lock-1' } as const;
    await s.put(lock, Buffer.from('lock'));
    await s.delete(lock);
    await assert.rejects(s.get(lock), (err: unknown) => isHoldfastError(err, 'OBJECT_NOT_FOUND'));
    await s.close();
  });

  it('refuses to set up object lock on a bucket created without it', async () => {
    const s = storageIn('contract', { objectLock: { mode: 'GOVERNANCE', days: 1 } });
    await assert.rejects(s.create(), /does not have object lock enabled/);
    await s.close();
  });
});
