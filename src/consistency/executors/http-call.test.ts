import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { hookFromSpec, hookSchema, runPhase } from '../hooks.ts';
import { executorFor } from './action-spec.ts';
import { executorContract } from './executor.contract.ts';
import { ActionError } from './executor.ts';
import { HttpCallExecutor } from './http-call.ts';

interface Seen {
  readonly method: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** An application's admin endpoint, scripted by path. Counts requests that are still open. */
class TestEndpoint {
  open = 0;
  readonly seen: Seen[] = [];
  readonly #calls = new Map<string, number>();

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.open++;
    res.once('close', () => this.open--);
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => this.#answer(new URL(req.url ?? '/', 'http://x'), { method: req.method ?? '', headers: req.headers, body }, res));
  };

  #answer(url: URL, seen: Seen, res: ServerResponse): void {
    const [, route, arg = ''] = url.pathname.split('/');
    const calls = (this.#calls.get(url.pathname) ?? 0) + 1;
    this.#calls.set(url.pathname, calls);
    if (route === 'ok') res.end(decodeURIComponent(arg));
    else if (route === 'fail') res.writeHead(500).end(`quiesce endpoint trace:\n${decodeURIComponent(arg)}\n`);
    else if (route === 'status') res.writeHead(Number(arg)).end('');
    else if (route === 'echo') { this.seen.push(seen); res.end('recorded'); }
    else if (route === 'flaky') res.writeHead(calls <= Number(arg) ? 503 : 200).end(calls <= Number(arg) ? `not yet (call ${calls})` : `ready after ${calls} calls`);
    // 'hang': never answers
  }
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return `127.0.0.1:${addr.port}`;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

executorContract('HTTP call', async () => {
  const endpoint = new TestEndpoint();
  const server = createServer(endpoint.handle);
  const base = `http://${await listen(server)}`;
  return {
    succeeding: (output) => new HttpCallExecutor({ method: 'post', url: `${base}/ok/${encodeURIComponent(output)}` }),
    failing: (detail) => new HttpCallExecutor({ method: 'POST', url: `${base}/fail/${encodeURIComponent(detail)}` }),
    hanging: (timeoutMs) => new HttpCallExecutor({ method: 'POST', url: `${base}/hang`, timeoutMs }),
    running: () => Promise.resolve(endpoint.open),
    cleanup: () => stop(server),
  };
});

describe('HttpCallExecutor', () => {
  const endpoint = new TestEndpoint();
  const server = createServer(endpoint.handle);
  let base = '';
  before(async () => {
    base = `http://${await listen(server)}`;
  });
  after(() => stop(server));

  it('accepts only the expected statuses, and any 2xx by default', async () => {
    assert.equal((await new HttpCallExecutor({ method: 'POST', url: `${base}/status/204` }).run()).status, 204);
    assert.equal((await new HttpCallExecutor({ method: 'POST', url: `${base}/status/409`, expectStatus: [200, 409] }).run()).status, 409);
    await assert.rejects(new HttpCallExecutor({ method: 'POST', url: `${base}/status/200`, expectStatus: [202] }).run(), (err: unknown) => {
      assert.ok(err instanceof ActionError);
      assert.equal(err.message, `POST http://${base.slice(7)}/status/200 answered 200 (expected 202)`);
      return true;
    });
    await assert.rejects(new HttpCallExecutor({ method: 'GET', url: `${base}/status/404` }).run(), /GET .*\/status\/404 answered 404 \(expected 2xx\)/);
  });

  it('sends the method, headers and body, and keeps credentials and query out of messages', async () => {
    const e = new HttpCallExecutor({ method: 'put', url: `http://admin:pw@${base.slice(7)}/echo?token=secret`, headers: { 'x-holdfast-phase': 'quiesce', 'content-type': 'application/json' }, body: '{"mode":"read-only"}' });
    assert.equal(e.what, `PUT http://${base.slice(7)}/echo`);
    assert.equal((await e.run()).stdout, 'recorded');
    const seen = endpoint.seen.at(-1);
    assert.equal(seen?.method, 'PUT');
    assert.equal(seen?.headers['x-holdfast-phase'], 'quiesce');
    assert.equal(seen?.headers['content-type'], 'application/json');
    assert.equal(seen?.headers['content-length'], '20');
    assert.equal(seen?.headers.authorization, `Basic ${Buffer.from('admin:pw').toString('base64')}`);
    assert.equal(seen?.body, '{"mode":"read-only"}');
  });

  it('fails with a clear error when nothing listens', async () => {
    const e = new HttpCallExecutor({ method: 'POST', url: 'http://127.0.0.1:1/quiesce' });
    await assert.rejects(e.run(), (err: unknown) => isHoldfastError(err, 'ACTION_FAILED') && /^POST http:\/\/127\.0\.0\.1:1\/quiesce failed: .*ECONNREFUSED/.test(err.message));
  });

  it('refuses an invalid URL as configuration', () => {
    assert.throws(() => new HttpCallExecutor({ method: 'POST', url: 'not a url' }), (err: unknown) => isHoldfastError(err, 'CONFIG_INVALID'));
  });
});

describe('HttpCallExecutor over TLS with a private CA', () => {
  let dir = '';
  let server: Server;
  let base = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdfast-tls-'));
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=holdfast-test',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    const endpoint = new TestEndpoint();
    server = createTlsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, endpoint.handle);
    base = `https://${await listen(server)}`;
  });
  after(async () => {
    await stop(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('trusts the endpoint only with the CA file given in the action', async () => {
    const spec = { http: { method: 'POST', url: `${base}/ok/frozen` } };
    await assert.rejects(executorFor(spec, 5000, { env: {} }).run(), (err: unknown) =>
      isHoldfastError(err, 'ACTION_FAILED') && /self-signed certificate/.test(err.message));
    const out = await executorFor({ http: { ...spec.http, caFile: join(dir, 'cert.pem') } }, 5000, { env: {} }).run();
    assert.equal(out.stdout, 'frozen');
  });

  it('says which CA file it cannot read', () => {
    assert.throws(() => executorFor({ http: { method: 'POST', url: `${base}/ok/x`, caFile: join(dir, 'missing.pem') } }, 5000, { env: {} }),
      (err: unknown) => isHoldfastError(err, 'CONFIG_INVALID') && err.message.includes('missing.pem'));
  });
});

describe('HTTP hooks through the hook runner', () => {
  const endpoint = new TestEndpoint();
  const server = createServer(endpoint.handle);
  let base = '';
  before(async () => {
    base = `http://${await listen(server)}`;
  });
  after(() => stop(server));

  const hooks = (specs: readonly unknown[]): ReturnType<typeof hookFromSpec>[] =>
    specs.map((s, i) => hookFromSpec(hookSchema.parse(s), i, { env: {} }));

  it('retries a failing endpoint and succeeds on a later attempt', async () => {
    const list = hooks([{ name: 'quiesce-app', phase: 'quiesce', retries: 3, run: { http: { url: `${base}/flaky/2` } } }]);
    const [r] = await runPhase(list, 'quiesce', { retryDelayMs: 10 });
    assert.equal(r?.status, 'succeeded');
    assert.equal(r?.attempts, 3);
    assert.equal(r?.output, 'ready after 3 calls');
  });

  it('fails the phase after the last retry, naming the hook and the attempts', async () => {
    const list = hooks([{ name: 'quiesce-app', phase: 'quiesce', retries: 1, run: { http: { url: `${base}/flaky/5` } } }]);
    await assert.rejects(runPhase(list, 'quiesce', { retryDelayMs: 10 }), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'ACTION_FAILED'));
      assert.match(err.message, /^quiesce hook 'quiesce-app' failed after 2 attempts: POST .*\/flaky\/5 answered 503 \(expected 2xx\): not yet \(call 2\)$/);
      return true;
    });
  });

  it('onError: continue records the failure and runs the next hook of the phase', async () => {
    const seen: string[] = [];
    const list = hooks([
      { name: 'notify', phase: 'prepare', onError: 'continue', run: { http: { url: `${base}/status/500` } } },
      { name: 'slow', phase: 'prepare', onError: 'continue', timeoutSeconds: 0.2, run: { http: { url: `${base}/hang` } } },
      { name: 'other-phase', phase: 'verify', run: { http: { url: `${base}/status/500` } } },
      { name: 'flush', phase: 'prepare', run: { http: { url: `${base}/ok/flushed` } } },
    ]);
    const results = await runPhase(list, 'prepare', { onResult: (r) => seen.push(`${r.name}:${r.status}`) });
    assert.deepEqual(seen, ['notify:failed', 'slow:failed', 'flush:succeeded']);
    assert.equal(results[0]?.code, 'ACTION_FAILED');
    assert.equal(results[1]?.code, 'ACTION_TIMEOUT');
    assert.equal(results[2]?.output, 'flushed');
  });

  it('does not retry once the run is interrupted', async () => {
    const list = hooks([{ name: 'hold', phase: 'quiesce', retries: 5, run: { http: { url: `${base}/hang` } } }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(runPhase(list, 'quiesce', { signal: ac.signal, retryDelayMs: 10 }), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'INTERRUPTED'));
      assert.match(err.message, /^quiesce hook 'hold' failed: POST .*\/hang was stopped$/);
      return true;
    });
  });
});
