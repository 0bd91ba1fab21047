/**
 * Immutable repositories on MinIO with object lock, and append-only credentials:
 * forget and prune never delete what object lock retains and say until when; a backup
 * works with credentials that cannot delete, while forget with them fails with one line
 * and changes nothing.
 */
import assert from 'node:assert/strict';
import { PutObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { show, stderrLines } from '../helpers/cli.ts';
import { appendOnlyPolicy, createBucket, restrictedCredentials, s3Client, startMinio, type Minio } from '../helpers/minio.ts';
import { s3Cli } from '../helpers/s3-cli.ts';
import { backup, checkClean, restore, snapshotIds } from '../helpers/steps.ts';
import { MiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree } from '../helpers/tree-compare.ts';

let minio: Minio;
let dir: string;

before(async () => {
  minio = await startMinio();
  dir = await mkdtemp(join(tmpdir(), 'holdfast-s3-lock-'));
  await writeRandomFiles(join(dir, 'src', 'random'), 8, 512 * 1024);
  await put(join(dir, 'src', 'logs', 'a.log'), compressible(2 * MiB, 4));
});

after(async () => {
  await minio?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function setDefaultRetention(bucket: string, days: number | undefined): Promise<void> {
  const client = s3Client(minio);
  try {
    await client.send(new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', ...(days ? { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: days } } } : {}) },
    }));
  } finally {
    client.destroy();
  }
}

describe('object lock (MinIO)', () => {
  it('refuses --object-lock on a bucket created without object lock, with one line', async () => {
    await createBucket(minio, 'plain');
    const r = await s3Cli(minio, `s3:${minio.endpoint}/plain/repo`).run(['init', '--object-lock', 'governance:7']);
    assert.equal(r.code, 2, show(r));
    assert.match(stderrLines(r)[0] ?? '', /the bucket 'plain' does not have object lock enabled/);
  });

  it('keeps retained snapshots and packs through forget and prune, frees what is not retained', async () => {
    await createBucket(minio, 'locked', { objectLock: true });
    const cli = s3Cli(minio, `s3:${minio.endpoint}/locked/repo`);
    assert.equal((await cli.run(['init', '--object-lock', 'governance:1'])).code, 0);
    const a = await backup(cli, [join(dir, 'src')]);
    await put(join(dir, 'src', 'logs', 'b.log'), compressible(MiB, 5));
    const b = await backup(cli, [join(dir, 'src')]);

    const forget = await cli.run(['forget', '--keep-last', '1']);
    assert.equal(forget.code, 0, show(forget));
    assert.match(forget.stdout, new RegExp(`kept snapshot ${a.id.slice(0, 8)}: object lock retains it until \\d{4}-`));
    assert.deepEqual((await snapshotIds(cli)).sort(), [a.id, b.id].sort(), 'the retained snapshot is still there');

    // Objects written while the bucket has no default retention are not retained.
    await setDefaultRetention('locked', undefined);
    await put(join(dir, 'src', 'extra', 'c.bin'), compressible(3 * MiB, 6));
    const c = await backup(cli, [join(dir, 'src', 'extra')]);
    const forgetC = await cli.run(['forget', c.id]);
    assert.match(forgetC.stdout, new RegExp(`removed snapshot ${c.id.slice(0, 8)}`), show(forgetC));
    const prune = await cli.run(['prune']);
    assert.equal(prune.code, 0, show(prune));
    assert.match(prune.stdout, /[1-9]\d* pack\(s\) deleted/, 'the unretained pack of c is deleted');

    await setDefaultRetention('locked', 1);
    await checkClean(cli, { readData: true });
    await restore(cli, a.id, join(dir, 'out-a'));
    await restore(cli, b.id, join(dir, 'out-b'));
    await assertSameTree(join(dir, 'src', 'logs', 'b.log'), join(dir, 'out-b', 'src', 'logs', 'b.log'));
  });

  it('backs up with append-only credentials; forget with them fails with one line and changes nothing', async () => {
    await createBucket(minio, 'append-only');
    const admin = s3Cli(minio, `s3:${minio.endpoint}/append-only/repo`);
    assert.equal((await admin.run(['init'])).code, 0);
    const first = await backup(admin, [join(dir, 'src')]);
    const creds = await restrictedCredentials(minio, appendOnlyPolicy('append-only'));
    const writer = s3Cli(minio, `s3:${minio.endpoint}/append-only/repo`, {
      AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: creds.sessionToken ?? '',
    });
    await put(join(dir, 'src', 'logs', 'd.log'), compressible(MiB, 8));
    const second = await backup(writer, [join(dir, 'src')]);
    await checkClean(writer, { readData: true, allowWarnings: true });
    const r = await writer.run(['forget', first.id]);
    assert.equal(r.code, 1, show(r));
    assert.equal(stderrLines(r).length, 1, show(r));
    assert.match(stderrLines(r)[0] ?? '', /delete snapshots\/[0-9a-f]+ refused by S3 bucket 'append-only'.*AccessDenied/);
    assert.deepEqual((await snapshotIds(admin)).sort(), [first.id, second.id].sort());
    await restore(admin, second.id, join(dir, 'out-append'));
    await assertSameTree(join(dir, 'src'), join(dir, 'out-append', 'src'));
  });
});
