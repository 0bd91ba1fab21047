import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { appendOnlyPolicy, createBucket, restrictedCredentials, s3Client, startMinio, type Minio } from '../helpers/minio.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.ts';

async function s3Error(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) return { name: err.name, status: err.$metadata.httpStatusCode, message: err.message };
    throw err;
  }
  assert.fail('expected the request to fail');
}

describe('MinIO test server behind the fault proxy', () => {
  let minio: Minio;
  let proxy: FaultProxy;
  let root: S3Client;
  const clients: S3Client[] = [];

  before(async () => {
    const t0 = performance.now();
    minio = await startMinio();
    const startup = performance.now() - t0;
    proxy = await startFaultProxy(minio.endpoint);
    root = s3Client(minio, { endpoint: proxy.endpoint });
    clients.push(root);
    await Promise.all([createBucket(minio, 'plain'), createBucket(minio, 'locked', { objectLock: true })]);
    console.log(`# minio live in ${startup.toFixed(0)} ms`);
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await proxy?.stop();
    await minio?.stop();
  });

  it('round-trips an object through the proxy with SigV4 intact', async () => {
    const body = Buffer.from('holdfast '.repeat(10_000));
    await root.send(new PutObjectCommand({ Bucket: 'plain', Key: 'data/one', Body: body }));
    const got = await root.send(new GetObjectCommand({ Bucket: 'plain', Key: 'data/one' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
    const counts = proxy.requests;
    assert.ok((counts.byMethod.PUT ?? 0) >= 1 && (counts.byMethod.GET ?? 0) >= 1, JSON.stringify(counts.byMethod));
  });

  it('lets the SDK retry through an injected 500 InternalError', async () => {
    proxy.addRule({ match: { method: 'GET', path: /^\/plain\/data\/one$/ }, fault: { kind: 'status', status: 500, code: 'InternalError' }, times: 1 });
    proxy.resetCounts();
    const got = await root.send(new GetObjectCommand({ Bucket: 'plain', Key: 'data/one' }));
    await got.Body!.transformToByteArray();
    assert.equal(got.$metadata.attempts, 2);
    assert.deepEqual(proxy.requests.faulted, { status: 1 });
    proxy.clearRules();
  });

  it('names missing buckets and keys the way S3 does', async () => {
    assert.deepEqual(await s3Error(root.send(new GetObjectCommand({ Bucket: 'absent', Key: 'k' }))).then((e) => [e.name, e.status]), ['NoSuchBucket', 404]);
    assert.deepEqual(await s3Error(root.send(new GetObjectCommand({ Bucket: 'plain', Key: 'absent' }))).then((e) => [e.name, e.status]), ['NoSuchKey', 404]);
    assert.deepEqual(await s3Error(root.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'absent' }))).then((e) => [e.name, e.status]), ['NotFound', 404]);
  });

  it('keeps an object version under retention from being deleted', async () => {
    const retainUntil = new Date(Date.now() + 24 * 3600 * 1000);
    const put = await root.send(new PutObjectCommand({
      Bucket: 'locked', Key: 'packs/p1', Body: 'sealed', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: retainUntil,
    }));
    assert.ok(put.VersionId, 'an object-lock bucket is versioned');
    const head = await root.send(new HeadObjectCommand({ Bucket: 'locked', Key: 'packs/p1' }));
    assert.equal(head.ObjectLockMode, 'GOVERNANCE');
    const denied = await s3Error(root.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'packs/p1', VersionId: put.VersionId })));
    // AWS answers 403 AccessDenied here; MinIO answers 400 InvalidRequest.
    assert.deepEqual([denied.name, denied.status], ['InvalidRequest', 400]);
    assert.match(denied.message, /WORM protected/);
    // A delete without a version id "succeeds" by adding a delete marker; the locked version stays.
    const marker = await root.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'packs/p1' }));
    assert.equal(marker.DeleteMarker, true);
    const still = await root.send(new GetObjectCommand({ Bucket: 'locked', Key: 'packs/p1', VersionId: put.VersionId }));
    assert.equal(await still.Body!.transformToString(), 'sealed');
  });

  it('refuses a delete to append-only credentials from STS AssumeRole', async () => {
    const creds = await restrictedCredentials(minio, appendOnlyPolicy('plain'));
    assert.ok(creds.sessionToken);
    const limited = s3Client(minio, { endpoint: proxy.endpoint, credentials: creds });
    clients.push(limited);
    await limited.send(new PutObjectCommand({ Bucket: 'plain', Key: 'data/two', Body: 'appended' }));
    const got = await limited.send(new GetObjectCommand({ Bucket: 'plain', Key: 'data/two' }));
    assert.equal(await got.Body!.transformToString(), 'appended');
    const denied = await s3Error(limited.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'data/two' })));
    assert.deepEqual([denied.name, denied.status], ['AccessDenied', 403]);
    await root.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'data/two' }));
  });
});
