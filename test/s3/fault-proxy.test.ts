import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../helpers/s3-fault-proxy.ts';

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  bodyLength: number;
}

interface Outcome {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: Buffer;
  complete: boolean;
  error?: NodeJS.ErrnoException;
}

const BLOB = Buffer.alloc(64 * 1024, 7);

async function startTarget(seen: Seen[]): Promise<Server> {
  const server = createServer((req, res) => {
    let bodyLength = 0;
    req.on('data', (c: Buffer) => {
      bodyLength += c.length;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, bodyLength });
      if (req.url?.startsWith('/blob')) {
        res.writeHead(200, { 'content-length': BLOB.length, 'x-target': 'yes', ETag: '"abc"' });
        res.end(BLOB);
        return;
      }
      const body = JSON.stringify({ bodyLength, echo: req.headers['x-echo'] ?? null });
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** One request on a fresh connection, reporting whatever part of the answer arrived. */
async function send(endpoint: string, path: string, opts: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const out: Outcome = { body: Buffer.alloc(0), complete: false };
    const done = (): void => {
      out.body = Buffer.concat(chunks);
      resolve(out);
    };
    const req = request(`${endpoint}${path}`, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      out.status = res.statusCode;
      out.headers = res.headers;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => {
        out.error = err;
      });
      res.on('close', () => {
        out.complete = res.complete;
        done();
      });
    });
    req.on('error', (err) => {
      out.error = err;
      done();
    });
    req.end(opts.body);
  });
}

describe('s3 fault proxy', () => {
  const seen: Seen[] = [];
  let target: Server;
  let proxy: FaultProxy;

  before(async () => {
    target = await startTarget(seen);
    proxy = await startFaultProxy(`http://127.0.0.1:${(target.address() as AddressInfo).port}`);
  });
  after(async () => {
    await proxy.stop();
    target.closeAllConnections();
    await new Promise((resolve) => target.close(resolve));
  });
  beforeEach(() => {
    proxy.clearRules();
    proxy.resetCounts();
    seen.length = 0;
  });

  it('forwards method, path, query, headers and bodies verbatim, keeping the client Host', async () => {
    const body = Buffer.alloc(300_000, 1);
    const put = await send(proxy.endpoint, '/bucket/key?partNumber=2&uploadId=x', { method: 'PUT', body, headers: { 'x-echo': 'hi' } });
    assert.equal(put.status, 201);
    assert.deepEqual(JSON.parse(put.body.toString()), { bodyLength: body.length, echo: 'hi' });
    assert.deepEqual(seen, [{ method: 'PUT', url: '/bucket/key?partNumber=2&uploadId=x', host: new URL(proxy.endpoint).host, bodyLength: body.length }]);
    const get = await send(proxy.endpoint, '/blob');
    assert.equal(get.status, 200);
    assert.equal(get.headers?.['x-target'], 'yes');
    assert.equal(get.headers?.etag, '"abc"');
    assert.ok(get.body.equals(BLOB));
    assert.deepEqual(proxy.requests.byMethod, { PUT: 1, GET: 1 });
  });

  it('answers a status fault with an S3 XML error and never reaches the target', async () => {
    proxy.addRule({ match: { method: 'PUT' }, fault: { kind: 'status', status: 503, code: 'SlowDown' } });
    const out = await send(proxy.endpoint, '/bucket/key', { method: 'PUT', body: Buffer.alloc(100_000) });
    assert.equal(out.status, 503);
    assert.equal(out.headers?.['content-type'], 'application/xml');
    assert.match(out.body.toString(), /<Error><Code>SlowDown<\/Code>/);
    assert.equal(seen.length, 0);
    assert.deepEqual(proxy.requests.faulted, { status: 1 });
  });

  it('matches on method, path and query, and honours skip and times', async () => {
    proxy.addRule({ match: { method: 'GET', path: /^\/blob$/, query: /(^|&)part=1(&|$)/ }, fault: { kind: 'status', status: 500, code: 'InternalError' }, skip: 1, times: 2 });
    const statuses: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(proxy.endpoint, '/blob?part=1')).status);
    statuses.push((await send(proxy.endpoint, '/blob?part=10')).status);
    statuses.push((await send(proxy.endpoint, '/blob/x?part=1')).status);
    statuses.push((await send(proxy.endpoint, '/blob?part=1', { method: 'PUT' })).status);
    assert.deepEqual(statuses, [200, 500, 500, 200, 200, 200, 200]);
    const counts = proxy.requests;
    assert.equal(counts.total, 7);
    assert.deepEqual(counts.faulted, { status: 2 });
    assert.deepEqual(counts.log.map((r) => r.fault ?? '-'), ['-', 'status', 'status', '-', '-', '-', '-']);
  });

  it('resets the connection before forwarding', async () => {
    proxy.addRule({ match: { method: 'PUT' }, fault: { kind: 'reset', at: 'request' }, times: 1 });
    const out = await send(proxy.endpoint, '/bucket/key', { method: 'PUT', body: Buffer.alloc(10) });
    assert.equal(out.status, undefined);
    assert.equal(out.error?.code, 'ECONNRESET');
    assert.equal(seen.length, 0);
    assert.equal((await send(proxy.endpoint, '/bucket/key', { method: 'PUT', body: Buffer.alloc(10) })).status, 201);
  });

  it('resets after the target answered: the write happened but the client saw a failure', async () => {
    proxy.addRule({ match: { method: 'PUT' }, fault: { kind: 'reset', at: 'response-headers' } });
    const out = await send(proxy.endpoint, '/bucket/key', { method: 'PUT', body: Buffer.alloc(1234) });
    assert.equal(out.status, undefined);
    assert.equal(out.error?.code, 'ECONNRESET');
    assert.deepEqual(seen.map((s) => [s.method, s.bodyLength]), [['PUT', 1234]]);
  });

  it('resets in the middle of the body after the headers arrived', async () => {
    proxy.addRule({ match: { path: /^\/blob/ }, fault: { kind: 'reset', at: 'mid-body' } });
    const out = await send(proxy.endpoint, '/blob');
    assert.equal(out.status, 200);
    assert.equal(out.headers?.['content-length'], String(BLOB.length));
    assert.equal(out.complete, false);
    assert.ok(out.error, 'the body read fails');
    assert.ok(out.body.length > 0 && out.body.length < BLOB.length, `got ${out.body.length} bytes`);
  });

  it('truncates the body to the given bytes under the full Content-Length', async () => {
    proxy.addRule({ match: { path: /^\/blob/ }, fault: { kind: 'truncate', bytes: 1000 } });
    const out = await send(proxy.endpoint, '/blob');
    assert.equal(out.status, 200);
    assert.equal(out.headers?.['content-length'], String(BLOB.length));
    assert.equal(out.complete, false);
    assert.equal(out.body.length, 1000);
    assert.ok(out.body.equals(BLOB.subarray(0, 1000)));
  });

  it('delays a request before forwarding it', async () => {
    proxy.addRule({ match: { method: 'GET' }, fault: { kind: 'delay', ms: 300 }, times: 1 });
    const t0 = performance.now();
    const slow = await send(proxy.endpoint, '/blob');
    const slowMs = performance.now() - t0;
    await send(proxy.endpoint, '/blob');
    assert.equal(slow.status, 200);
    assert.ok(slow.body.equals(BLOB));
    assert.ok(slowMs >= 290, `delayed request took ${slowMs} ms`);
    assert.deepEqual(proxy.requests.log.map((r) => r.fault ?? '-'), ['delay', '-']);
  });

  it('answers 502 when the target is unreachable', async () => {
    const dead = await startFaultProxy('http://127.0.0.1:1');
    try {
      const out = await send(dead.endpoint, '/x');
      assert.equal(out.status, 502);
      assert.match(out.body.toString(), /ProxyUpstreamError/);
    } finally {
      await dead.stop();
    }
  });
});
