import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { ActionError } from '../executors/executor.ts';
import { snapshotBlobs, verifySnapshot } from './etcd-gateway.ts';
import { EtcdSnapshotExecutor, EtcdStatusExecutor } from './etcd-snapshot.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < text.length; i += size) yield Buffer.from(text.slice(i, i + size));
}

/** A snapshot as etcd sends it: the database bytes, then their SHA-256, in 32 KiB blobs. */
function snapshotLines(db: Buffer): string {
  const whole = Buffer.concat([db, createHash('sha256').update(db).digest()]);
  const lines: string[] = [];
  for (let i = 0; i < whole.length; i += 32 << 10) lines.push(JSON.stringify({ result: { remaining_bytes: String(Math.max(0, whole.length - i - (32 << 10))), blob: whole.subarray(i, i + (32 << 10)).toString('base64') } }));
  return `${lines.join('\n')}\n`;
}

describe('etcd gateway snapshot stream', () => {
  const db = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 251));

  it('decodes blobs split anywhere across reads, and passes the bytes on with the hash at the end', async () => {
    for (const size of [7, 4096, 1 << 20]) {
      const bytes = Buffer.concat(await collect(verifySnapshot(snapshotBlobs(pieces(snapshotLines(db), size)))));
      assert.equal(bytes.length, db.length + 32);
      assert.ok(bytes.subarray(0, db.length).equals(db));
    }
  });

  it('fails on an error line, and on a stream cut short or damaged', async () => {
    const error = `${JSON.stringify({ result: { blob: 'AAAA' } })}\n{"error":{"grpc_code":14,"message":"etcdserver: leader changed"}}\n`;
    await assert.rejects(collect(verifySnapshot(snapshotBlobs(pieces(error, 10)))), (err: unknown) => err instanceof ActionError && err.message === 'the snapshot stream failed: etcdserver: leader changed');
    const lines = snapshotLines(db).split('\n');
    for (const broken of [lines.slice(0, -2).join('\n'), snapshotLines(Buffer.from(db).fill(9, 500, 501)).replace(/"blob":"A/, '"blob":"B'), '']) {
      await assert.rejects(collect(verifySnapshot(snapshotBlobs(pieces(broken, 1000)))), /ended early or is damaged/);
    }
  });
});

describe('etcd gateway executors', () => {
  let server: Server;
  let url = '';
  const held: ServerResponse[] = [];
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/v3/maintenance/status') return res.end('{"version":"3.4.23"}');
      if (req.url === '/v3/auth/authenticate') {
        res.writeHead(400);
        return res.end('{"error":"etcdserver: authentication failed, invalid user ID or password","code":3}');
      }
      held.push(res); // the snapshot never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const r of held) r.destroy();
    server.close();
  });

  it('checks the status, and reports the gateway\'s own text for a refused login', async () => {
    assert.match((await new EtcdStatusExecutor({ url }, 'status', 5000).run()).stdout, /3\.4\.23/);
    await assert.rejects(new EtcdStatusExecutor({ url, user: 'root', password: 'x' }, 'status', 5000).run(), (err: unknown) =>
      err instanceof ActionError && err.message === 'status: POST /v3/auth/authenticate answered 400: etcdserver: authentication failed, invalid user ID or password');
  });

  it('names the transport failure for a closed port', async () => {
    await assert.rejects(new EtcdStatusExecutor({ url: 'http://127.0.0.1:1' }, 'status', 5000).run(), (err: unknown) =>
      err instanceof ActionError && err.stderr === 'connect ECONNREFUSED 127.0.0.1:1');
  });

  it('ends a snapshot that does not start within the timeout (ACTION_TIMEOUT), and one that is stopped (INTERRUPTED)', async () => {
    await assert.rejects(new EtcdSnapshotExecutor({ url }, 'snapshot', 300).run(), (err: unknown) => isHoldfastError(err, 'ACTION_TIMEOUT'));
    const running = new EtcdSnapshotExecutor({ url }, 'snapshot', 0).start();
    setTimeout(() => running.stop(), 100);
    running.stdout.resume();
    await assert.rejects(running.done, (err: unknown) => isHoldfastError(err, 'INTERRUPTED'));
    const ac = new AbortController();
    const run = new EtcdSnapshotExecutor({ url }, 'snapshot', 0).run({ signal: ac.signal });
    ac.abort();
    await assert.rejects(run, (err: unknown) => isHoldfastError(err, 'INTERRUPTED'));
  });
});
