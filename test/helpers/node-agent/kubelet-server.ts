/**
 * The agent's kubelet endpoints on 127.0.0.1 (HTTPS, self-signed), which the apiserver
 * proxies to for `pods/log` and `pods/exec`:
 *
 * - `GET /containerLogs/{namespace}/{pod}/{container}` with `tailLines`, `timestamps`,
 *   `limitBytes`, `sinceSeconds`, `sinceTime`, `previous`, `stream` and `follow`;
 * - `/exec/{namespace}/{pod}/{container}?command=…` upgraded to a WebSocket (exec-session.ts).
 *
 * There is no authentication or authorization of callers (a kubelet checks the
 * apiserver's client certificate and asks SubjectAccessReviews): anything on the machine
 * may call it.
 */
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContainerRunner } from './container-runner.ts';
import { V4, V5, execServer, upgradeToExec } from './exec-session.ts';
import type { LogQuery } from './container-log.ts';
import { makeServingCert } from './serving-cert.ts';

export type ContainerLookup = (namespace: string, pod: string, container: string) => ContainerRunner | undefined;

export interface KubeletServer {
  readonly port: number;
  close(): Promise<void>;
}

interface Target {
  readonly url: URL;
  readonly kind: string;
  readonly runner: ContainerRunner | undefined;
  readonly where: string;
}

function target(rawUrl: string | undefined, lookup: ContainerLookup): Target {
  const url = new URL(rawUrl ?? '/', 'https://127.0.0.1');
  const [kind = '', namespace = '', pod = '', container = ''] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  return { url, kind, runner: lookup(namespace, pod, container), where: `container ${container} of pod ${namespace}/${pod}` };
}

function logQuery(url: URL): LogQuery {
  const number = (name: string): number | undefined => (url.searchParams.has(name) ? Number(url.searchParams.get(name)) : undefined);
  const sinceSeconds = number('sinceSeconds');
  const sinceTime = url.searchParams.get('sinceTime');
  return {
    tailLines: number('tailLines'),
    limitBytes: number('limitBytes'),
    timestamps: url.searchParams.get('timestamps') === 'true',
    stream: url.searchParams.get('stream') ?? undefined,
    sinceTime: sinceSeconds !== undefined ? new Date(Date.now() - sinceSeconds * 1000) : sinceTime ? new Date(sinceTime) : undefined,
  };
}

function containerLogs(t: Target, res: ServerResponse): void {
  const log = t.runner?.log(t.url.searchParams.get('previous') === 'true');
  if (t.runner === undefined || log === undefined) {
    res.writeHead(t.runner === undefined ? 404 : 400, { 'content-type': 'text/plain' });
    res.end(t.runner === undefined ? `${t.where} not found` : `${t.where} is waiting to start`);
    return;
  }
  const query = logQuery(t.url);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.write(log.read(query));
  if (t.url.searchParams.get('follow') !== 'true' || log.ended) {
    res.end();
    return;
  }
  const unfollow = log.follow({ ...query, tailLines: undefined }, { line: (text) => res.write(text), end: () => res.end() });
  res.on('close', unfollow);
}

function refuse(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Bad Request'}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

export async function startKubeletServer(dir: string, nodeName: string, lookup: ContainerLookup): Promise<KubeletServer> {
  const { cert, key } = await makeServingCert(dir, nodeName);
  const wss = execServer();
  const server = createServer({ cert, key }, (req: IncomingMessage, res: ServerResponse) => {
    const t = target(req.url, lookup);
    if (req.method === 'GET' && t.kind === 'containerLogs') containerLogs(t, res);
    else if (t.kind === 'healthz') res.end('ok');
    else {
      res.writeHead(t.kind === 'exec' ? 400 : 404, { 'content-type': 'text/plain' });
      res.end(t.kind === 'exec' ? 'exec needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io); the node agent speaks no SPDY' : 'not found');
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const t = target(req.url, lookup);
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const runner = t.runner;
    if (t.kind !== 'exec' || runner === undefined) return refuse(socket, 404, `${t.where} not found`);
    if (!runner.isRunning()) return refuse(socket, 400, `${t.where} is not running`);
    if (!protocols.includes(V5) && !protocols.includes(V4)) return refuse(socket, 400, `exec supports ${V5} and ${V4} over WebSocket only (offered: ${protocols.join(', ')})`);
    upgradeToExec(wss, { req, socket, head }, (command, stdin) => runner.exec(command, stdin));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
