/**
 * Backups, checks and restores through a fault-injecting proxy in front of MinIO:
 * throttling, 5xx, connection resets, delays and truncated bodies are retried and the
 * operation completes with every byte intact; a permanent refusal fails the backup at
 * once with one line, loses no completed snapshot, and the next backup succeeds.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { show, stderrLines } from '../helpers/cli.ts';
import { createBucket, startMinio, type Minio } from '../helpers/minio.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.ts';
import { backup, checkClean, restore, snapshotIds } from '../helpers/steps.ts';
import { MiB, compressible, put, writeRandomFiles } from '../helpers/tree-builder.ts';
import { assertSameTree } from '../helpers/tree-compare.ts';
import { s3Cli } from '../helpers/s3-cli.ts';

let minio: Minio;
let proxy: FaultProxy;
let dir: string;

before(async () => {
  minio = await startMinio();
  proxy = await startFaultProxy(minio.endpoint);
  dir = await mkdtemp(join(tmpdir(), 'holdfast-s3-faults-'));
  await createBucket(minio, 'faults');
  await writeRandomFiles(join(dir, 'src', 'random'), 24, 512 * 1024);
  await put(join(dir, 'src', 'logs', 'a.log'), compressible(4 * MiB, 7));
});

afterEach(() => {
  proxy.clearRules();
});

after(async () => {
  await proxy?.stop();
  await minio?.stop();
  await rm(dir, { recursive: true, force: true });
});

const cliFor = (name: string) => s3Cli(minio, `s3:${proxy.endpoint}/faults/${name}`);

describe('S3 under faults (MinIO behind a fault-injecting proxy)', () => {
  it('completes a backup through throttling, 5xx, resets and delays, and check --read-data passes', async () => {
    const cli = cliFor('transient');
    assert.equal((await cli.run(['init'])).code, 0);
    proxy.resetCounts();
    proxy.addRule({ match: { method: 'PUT', path: /\/data\// }, fault: { kind: 'status', status: 503, code: 'SlowDown' }, times: 3 });
    proxy.addRule({ match: { method: 'PUT', path: /\/data\// }, fault: { kind: 'reset', at: 'request' }, times: 2 });
    proxy.addRule({ match: { method: 'PUT', path: /\/index\// }, fault: { kind: 'status', status: 500, code: 'InternalError' }, times: 1 });
    proxy.addRule({ match: { method: 'PUT', path: /\/snapshots\// }, fault: { kind: 'reset', at: 'response-headers' }, times: 1 });
    proxy.addRule({ match: { method: 'GET' }, fault: { kind: 'delay', ms: 150 }, times: 5 });
    const s = await backup(cli, [join(dir, 'src')]);
    const faulted = proxy.requests.faulted;
    assert.ok((faulted.status ?? 0) >= 4 && (faulted.reset ?? 0) >= 3, `faults fired: ${JSON.stringify(faulted)}`);
    assert.deepEqual(await snapshotIds(cli), [s.id]);
    proxy.clearRules();
    proxy.addRule({ match: { method: 'GET', path: /\/data\// }, fault: { kind: 'truncate', bytes: 1000 }, times: 3 });
    proxy.addRule({ match: { method: 'GET', path: /\/data\// }, fault: { kind: 'reset', at: 'mid-body' }, times: 2 });
    await checkClean(cli, { readData: true });
    assert.ok((proxy.requests.faulted.truncate ?? 0) >= 3, 'truncated bodies were served and retried');
  });

  it('restores every byte although bodies are truncated and connections reset', async () => {
    const cli = cliFor('restore');
    assert.equal((await cli.run(['init'])).code, 0);
    const s = await backup(cli, [join(dir, 'src')]);
    proxy.addRule({ match: { method: 'GET', path: /\/data\// }, fault: { kind: 'truncate', bytes: 4096 }, times: 4 });
    proxy.addRule({ match: { method: 'GET', path: /\/data\// }, fault: { kind: 'reset', at: 'mid-body' }, times: 2 });
    proxy.addRule({ match: { method: 'GET', path: /\/index\// }, fault: { kind: 'status', status: 503, code: 'SlowDown' }, times: 2 });
    await restore(cli, s.id, join(dir, 'out-restore'));
    await assertSameTree(join(dir, 'src'), join(dir, 'out-restore', 'src'));
  });

  it('fails a backup cleanly on a permanent refusal, keeps earlier snapshots, and the next backup succeeds', async () => {
    const cli = cliFor('permanent');
    assert.equal((await cli.run(['init'])).code, 0);
    const first = await backup(cli, [join(dir, 'src')]);
    await put(join(dir, 'src', 'new', 'b.bin'), compressible(3 * MiB, 9));
    proxy.addRule({ match: { method: 'PUT', path: /\/data\// }, fault: { kind: 'status', status: 403, code: 'AccessDenied' } });
    const started = Date.now();
    const r = await cli.run(['backup', join(dir, 'src')]);
    assert.equal(r.code, 1, show(r));
    const lines = stderrLines(r);
    assert.equal(lines.length, 1, show(r));
    assert.match(lines[0] ?? '', /put data\/[0-9a-f]+ refused by S3 bucket 'faults' .*AccessDenied/);
    assert.ok(Date.now() - started < 20_000, 'a permanent error is not retried for long');
    proxy.clearRules();
    assert.deepEqual(await snapshotIds(cli), [first.id], 'no snapshot published, none lost');
    await checkClean(cli, { readData: true, allowWarnings: true });
    await cli.run(['unlock']);
    const next = await backup(cli, [join(dir, 'src')]);
    await restore(cli, next.id, join(dir, 'out-next'));
    await assertSameTree(join(dir, 'src'), join(dir, 'out-next', 'src'));
  });

  it('gives up on endless throttling with one line after bounded retries', async () => {
    const cli = cliFor('throttled');
    assert.equal((await cli.run(['init'])).code, 0);
    proxy.addRule({ match: { method: 'PUT', path: /\/data\// }, fault: { kind: 'status', status: 503, code: 'SlowDown' } });
    const r = await cli.run(['backup', join(dir, 'src', 'logs')], { timeoutMs: 180_000 });
    assert.equal(r.code, 1, show(r));
    assert.match(stderrLines(r)[0] ?? '', /put data\/[0-9a-f]+ on S3 bucket 'faults' .*failed: SlowDown/);
    proxy.clearRules();
    assert.deepEqual(await snapshotIds(cli), []);
  });
});
