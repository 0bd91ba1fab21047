/**
 * Hooks run by the operator on a real control plane: HTTP hooks against a local server
 * in this test (method, headers — also from a Secret — body, expected status; prepare,
 * quiesce, unquiesce and verify in that order), a hook answering 500 that fails the
 * Backup while unquiesce still runs, failures recorded with their HTTP status and
 * attempts (retries) when the hook says `onError: continue` (the Backup ends
 * PartiallyFailed), a hook that times out, and Job hooks that the node agent runs,
 * their exit code and termination message in status.hooks.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BatchV1Api } from '@kubernetes/client-node';
import { create, finished, hooksNamed, show, startRecipeWorld, type Phased, type RecipeWorld } from './backup-recipe-fixture.ts';

const NS = 'hooks';

interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

let w: RecipeWorld;
let server: Server;
let base: string;
const calls: Call[] = [];
/** Status to answer per path, as a list consumed one per call (the last one repeats). */
const answers = new Map<string, number[]>();

function answer(path: string): number {
  const list = answers.get(path) ?? [200];
  return (list.length > 1 ? list.shift() : list[0]) ?? 200;
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      const path = req.url ?? '/';
      calls.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      if (path.startsWith('/hang')) return;
      const status = answer(path);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status >= 400 ? `maintenance mode refused (${status})\n` : `ok ${path}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  w = await startRecipeWorld('hooks');
  await w.cp.createNamespace(NS);
  await w.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'hook-auth' }, stringData: { Authorization: 'Bearer hook-secret-token' } } });
});

after(async () => {
  await w?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function backup(name: string, hooks: object[]): object {
  return { apiVersion: 'holdfast.dev/v1alpha1', kind: 'Backup', metadata: { name }, spec: { repositoryRef: { name: 'main' }, selection: { includedKinds: ['ConfigMap'] }, hooks } };
}

function http(name: string, phase: string, path: string, extra: object = {}, action: object = {}): object {
  return { name, phase, http: { url: `${base}${path}`, ...action }, timeoutSeconds: 10, ...extra };
}

function callsTo(prefix: string): Call[] {
  return calls.filter((c) => c.path.startsWith(prefix));
}

function only(b: Phased, name: string): Record<string, unknown> {
  const [h, ...more] = hooksNamed(b, name);
  assert.ok(h !== undefined && more.length === 0, `one ${name} step in ${show(b)}`);
  return h;
}

describe('HTTP hooks from the operator', () => {
  it('calls prepare, quiesce, unquiesce and verify with their method, headers and body, in order', async () => {
    answers.set('/ok/prepare', [202]);
    await create(w, 'backups', NS, backup('http-ok', [
      http('announce', 'prepare', '/ok/prepare', {}, { method: 'POST', headers: { 'X-Reason': 'nightly', 'Content-Type': 'application/json' }, body: '{"reason":"backup"}', expectedStatus: [202] }),
      http('pause-writes', 'quiesce', '/ok/quiesce', {}, { method: 'PUT', headersSecretRef: { name: 'hook-auth' } }),
      http('resume-writes', 'unquiesce', '/ok/unquiesce', {}, { method: 'DELETE' }),
      http('check', 'verify', '/ok/verify', {}, { method: 'GET' }),
    ]));
    const b = await finished(w, 'backups', NS, 'http-ok');
    assert.equal(b.status?.phase, 'Completed', show(b));
    const seen = callsTo('/ok/');
    assert.deepEqual(seen.map((c) => [c.method, c.path]), [['POST', '/ok/prepare'], ['PUT', '/ok/quiesce'], ['DELETE', '/ok/unquiesce'], ['GET', '/ok/verify']]);
    assert.equal(seen[0]?.headers['x-reason'], 'nightly');
    assert.equal(seen[0]?.headers['content-type'], 'application/json');
    assert.equal(seen[0]?.body, '{"reason":"backup"}');
    assert.equal(seen[1]?.headers.authorization, 'Bearer hook-secret-token', 'headers from the Secret');
    const host = new URL(base).host;
    assert.deepEqual((b.status?.hooks ?? []).map((h) => [h.name, h.phase, h.outcome, h.httpStatus, h.attempts, h.target]), [
      ['announce', 'prepare', 'Succeeded', 202, 1, host], ['pause-writes', 'quiesce', 'Succeeded', 200, 1, host], ['resume-writes', 'unquiesce', 'Succeeded', 200, 1, host],
      ['check', 'verify', 'Succeeded', 200, 1, host],
    ]);
    assert.ok(!JSON.stringify(b.status).includes('hook-secret-token'), 'the header from the Secret is not in the status');
    const c = b.status?.consistency ?? {};
    assert.ok(typeof c.pausedAt === 'string' && typeof c.unpausedAt === 'string', show(b));
  });

  it('a quiesce hook answering 500 fails the Backup, and unquiesce still runs', async () => {
    answers.set('/fail/quiesce', [500]);
    await create(w, 'backups', NS, backup('http-500', [
      http('pause-writes', 'quiesce', '/fail/quiesce'),
      http('resume-writes', 'unquiesce', '/fail/unquiesce'),
    ]));
    const b = await finished(w, 'backups', NS, 'http-500');
    assert.equal(b.status?.phase, 'Failed', show(b));
    assert.match(b.status?.errors?.at(-1) ?? '', /quiesce step 'pause-writes' \(hook\) on 127\.0\.0\.1:\d+: POST .*\/fail\/quiesce answered 500 \(expected 2xx\): maintenance mode refused \(500\)/);
    assert.deepEqual(callsTo('/fail/').map((c) => c.path), ['/fail/quiesce', '/fail/unquiesce']);
    const q = only(b, 'pause-writes');
    assert.deepEqual([q.outcome, q.httpStatus, q.attempts], ['Failed', 500, 1]);
    assert.equal(only(b, 'resume-writes').outcome, 'Succeeded');
  });

  it('onError continue records the failure with its HTTP status and attempts; retries until success; the Backup is PartiallyFailed', async () => {
    answers.set('/cont/always-500', [503]);
    answers.set('/cont/flaky', [500, 500, 200]);
    await create(w, 'backups', NS, backup('http-continue', [
      http('notify', 'prepare', '/cont/always-500', { onError: 'continue', retries: 2 }),
      http('warm-cache', 'prepare', '/cont/flaky', { retries: 3 }),
      http('slow', 'prepare', '/hang', { onError: 'continue', timeoutSeconds: 1 }),
    ]));
    const b = await finished(w, 'backups', NS, 'http-continue');
    assert.equal(b.status?.phase, 'PartiallyFailed', show(b));
    const notify = only(b, 'notify');
    assert.deepEqual([notify.outcome, notify.httpStatus, notify.attempts], ['Failed', 503, 3]);
    assert.match(String(notify.message), /answered 503 \(expected 2xx\)/);
    assert.equal(callsTo('/cont/always-500').length, 3);
    const warm = only(b, 'warm-cache');
    assert.deepEqual([warm.outcome, warm.httpStatus, warm.attempts], ['Succeeded', 200, 3]);
    const slow = only(b, 'slow');
    assert.deepEqual([slow.outcome, slow.attempts], ['TimedOut', 1]);
    assert.match(String(slow.message), /prepare step .slow. \(hook\) on 127\.0\.0\.1:\d+: POST .*\/hang did not answer within 1 s/);
    assert.ok(b.status?.snapshots?.some((s) => s.type === 'resources'), 'the objects were still backed up');
  });
});

describe('Job hooks from the operator', () => {
  it('runs a Job hook and records its result; a failing Job hook records its exit code and termination message', async () => {
    await create(w, 'backups', NS, backup('job-hooks', [
      { name: 'client-check', phase: 'prepare', job: { image: 'debian', command: ['sh', '-c', 'echo "checked $TARGET"; echo "checked $TARGET" > /dev/termination-log'], env: [{ name: 'TARGET', value: 'ledger' }] }, timeoutSeconds: 60 },
      { name: 'client-fail', phase: 'prepare', job: { image: 'debian', command: ['sh', '-c', 'echo "no space left on the dump volume" > /dev/termination-log; exit 4'] }, timeoutSeconds: 60, onError: 'continue' },
    ]));
    const b = await finished(w, 'backups', NS, 'job-hooks', 180_000);
    assert.equal(b.status?.phase, 'PartiallyFailed', show(b));
    const ok = only(b, 'client-check');
    assert.deepEqual([ok.outcome, ok.exitCode, ok.attempts], ['Succeeded', 0, 1]);
    assert.match(String(ok.target), new RegExp(`^Job ${NS}/client-check-`));
    const bad = only(b, 'client-fail');
    assert.deepEqual([bad.outcome, bad.exitCode], ['Failed', 4]);
    assert.match(String(bad.message), /failed with exit code 4: no space left on the dump volume/);
    const jobs = await w.kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: NS });
    assert.deepEqual(jobs.items.filter((j) => j.metadata?.deletionTimestamp === undefined).map((j) => j.metadata?.name), [], 'the hook Jobs are deleted when they end');
  });
});
