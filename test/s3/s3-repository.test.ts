/**
 * The `holdfast` command on a real S3 server (MinIO): the whole cycle, clear one-line
 * failures for bad buckets and credentials, and copies between a local repository and S3.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliFor, show, stderrLines, type CliResult } from '../helpers/cli.ts';
import { s3Cli } from '../helpers/s3-cli.ts';
import { createBucket, startMinio, type Minio } from '../helpers/minio.ts';
import { backup, checkClean, restore, snapshotIds } from '../helpers/steps.ts';
import { MiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree } from '../helpers/tree-compare.ts';
import type { ObjectInfo } from '#src/backend/storage.ts';
import { parseS3Location } from '#src/backend/s3/s3-location.ts';
import { S3Storage } from '#src/backend/s3/s3-storage.ts';

let minio: Minio;
let dir: string;

before(async () => {
  minio = await startMinio();
  dir = await mkdtemp(join(tmpdir(), 'holdfast-s3-'));
  await createBucket(minio, 'backups');
  await writeRandomFiles(join(dir, 'src', 'random'), 12, 700 * 1024);
  await put(join(dir, 'src', 'text', 'a.log'), compressible(3 * MiB, 1));
  await put(join(dir, 'src', 'text', 'b.log'), compressible(1 * MiB, 2));
});

after(async () => {
  await minio?.stop();
  await rm(dir, { recursive: true, force: true });
});

function assertOneLine(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, show(r));
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one line on stderr\n${show(r)}`);
  assert.match(lines[0] ?? '', pattern);
}

describe('holdfast on S3 (MinIO)', () => {
  it('initializes, backs up twice, checks every byte and restores', async () => {
    const cli = s3Cli(minio, `s3:${minio.endpoint}/backups/team-a/repo1`);
    assert.equal((await cli.run(['init'])).code, 0);
    const first = await backup(cli, [join(dir, 'src')]);
    const second = await backup(cli, [join(dir, 'src')]);
    assert.equal(second.filesChanged, 0);
    assert.equal(second.blobsNew, 0, 'an unchanged re-backup stores nothing new');
    await checkClean(cli, { readData: true });
    await restore(cli, first.id, join(dir, 'out1'));
    await assertSameTree(join(dir, 'src'), join(dir, 'out1', 'src'));
  });

  it('a flipped byte in a pack: check --read-data, streaming the pack in pieces, names the blob, or the header', async () => {
    const location = `s3:${minio.endpoint}/backups/damaged`;
    const cli = s3Cli(minio, location);
    assert.equal((await cli.run(['init'])).code, 0);
    await backup(cli, [join(dir, 'src', 'random')]);
    const storage = new S3Storage(parseS3Location(location), { credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey } });
    try {
      const packs: ObjectInfo[] = [];
      for await (const info of storage.list('data')) packs.push(info);
      const pack = packs.sort((a, b) => b.size - a.size)[0];
      assert.ok(pack && pack.size > 4 * MiB, 'a pack of several 2 MiB pieces');
      const original = await storage.get({ type: 'data', name: pack.name });
      const flipped = async (at: number): Promise<CliResult> => {
        const bytes = Buffer.from(original);
        bytes.writeUInt8(bytes.readUInt8(at) ^ 0x40, at);
        await storage.put({ type: 'data', name: pack.name }, bytes);
        const check = await cli.run(['check', '--read-data']);
        assert.equal(check.code, 13, show(check));
        assert.ok(stderrLines(check).includes(`error: pack ${pack.name}: content does not match its name (damaged in storage)`), show(check));
        assert.match(check.stdout, /2 error\(s\) found/);
        return check;
      };
      // In a blob: that blob is named.
      const inBlob = stderrLines(await flipped(Math.floor(pack.size / 2)));
      assert.equal(inBlob.filter((l) => l.startsWith(`error: pack ${pack.name} blob `)).length, 1, inBlob.join('\n'));
      // In the header, which a streamed pack takes from its last piece: the header is named, no blob is.
      const inHeader = stderrLines(await flipped(pack.size - 20));
      assert.ok(inHeader.some((l) => l.startsWith(`error: pack ${pack.name}: header unreadable: `)), inHeader.join('\n'));
      assert.ok(!inHeader.some((l) => l.startsWith(`error: pack ${pack.name} blob `)), inHeader.join('\n'));
    } finally {
      await storage.close();
    }
  });

  it('creates the bucket on init when it does not exist', async () => {
    const cli = s3Cli(minio, `s3:${minio.endpoint}/created-by-init/repo`);
    assert.equal((await cli.run(['init'])).code, 0);
    await backup(cli, [join(dir, 'src', 'text')]);
    assert.equal((await snapshotIds(cli)).length, 1);
  });

  it('says which bucket is missing when opening a repository there', async () => {
    const cli = s3Cli(minio, `s3:${minio.endpoint}/no-such-bucket/repo`);
    assertOneLine(await cli.run(['snapshots']), 10, /no repository at s3:http:\/\/127\.0\.0\.1:\d+\/no-such-bucket\/repo/);
  });

  it('fails at once with one line naming the bucket when the credentials are wrong', async () => {
    const cli = s3Cli(minio, `s3:${minio.endpoint}/backups/team-a/repo1`, { AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    const started = Date.now();
    const r = await cli.run(['snapshots']);
    assertOneLine(r, 1, /read config refused by S3 bucket 'backups' .*HTTP 403 Forbidden \(wrong credentials/);
    assert.ok(Date.now() - started < 5_000, 'a permanent error is not retried');
  });

  it('names an unreachable endpoint after retrying', async () => {
    const cli = s3Cli(minio, 's3:http://127.0.0.1:9/backups/x');
    const r = await cli.run(['snapshots'], { timeoutMs: 120_000 });
    assertOneLine(r, 1, /S3 bucket 'backups' \(s3:http:\/\/127\.0\.0\.1:9\/backups\/x\) failed: .*ECONNREFUSED/);
  });

  it('copies local → S3 storing only what is missing, and again S3 → local elsewhere', async () => {
    const local = cliFor(join(dir, 'local-repo'), 'pw-local');
    assert.equal((await local.run(['init'])).code, 0);
    await backup(local, [join(dir, 'src')]);
    await put(join(dir, 'src', 'text', 'c.log'), compressible(2 * MiB, 3));
    await backup(local, [join(dir, 'src')]);
    const remote = s3Cli(minio, `s3:${minio.endpoint}/backups/offsite`, { HOLDFAST_FROM_PASSWORD: 'pw-local' });
    const init = await remote.run(['init', '--copy-params-from', join(dir, 'local-repo')]);
    assert.equal(init.code, 0, show(init));
    const copy = await remote.run(['copy', '--from-repo', join(dir, 'local-repo')]);
    assert.equal(copy.code, 0, show(copy));
    assert.match(copy.stdout, /2 of 2 snapshot\(s\) copied/);
    const again = await remote.run(['copy', '--from-repo', join(dir, 'local-repo')]);
    assert.match(again.stdout, /0 of 2 snapshot\(s\) copied; 0 new blob\(s\), 0 bytes stored, 0 blob\(s\) read/);
    await checkClean(remote, { readData: true });
    await restore(remote, 'latest', join(dir, 'out-copy'));
    await assertSameTree(join(dir, 'src'), join(dir, 'out-copy', 'src'));
  });
});
