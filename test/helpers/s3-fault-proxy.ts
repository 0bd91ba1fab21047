/**
 * A fault-injecting HTTP proxy for S3 tests. It sits on 127.0.0.1 in front of a real
 * server and forwards requests and responses as streams with their headers verbatim; the
 * Host header stays the one the client sent, so SigV4 signatures made for the proxy's
 * address still verify at the server behind it.
 *
 * Rules are tried in the order they were added. A rule counts every request it matches;
 * it lets the first `skip` of them pass, then applies its fault to the next `times` of them
 * (all, when `times` is absent). The first rule that fires decides the request's fate;
 * requests no rule fires for are forwarded untouched.
 *
 * Fault kinds and what the client observes:
 * - status: an S3 XML error with that status and code; the server never sees the request.
 * - reset at 'request': TCP RST before anything is forwarded.
 * - reset at 'response-headers': the server handles the request, the client gets an RST
 *   instead of the answer (the write may have happened: the ambiguous case).
 * - reset at 'mid-body': the status line, headers and about half the body, then an RST.
 * - delay: the request is held for `ms`, then forwarded.
 * - truncate: the full headers (Content-Length included) and only `bytes` of the body,
 *   then an orderly close.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type Fault =
  | { kind: 'status'; status: number; code: string; message?: string }
  | { kind: 'reset'; at: 'request' | 'response-headers' | 'mid-body' }
  | { kind: 'delay'; ms: number }
  | { kind: 'truncate'; bytes: number };

export interface FaultMatch {
  method?: string;
  /** Tested against the raw request path, without the query string. */
  path?: RegExp;
  /** Tested against the raw query string, without the leading '?'. */
  query?: RegExp;
}

export interface FaultRule {
  match: FaultMatch;
  fault: Fault;
  times?: number;
  skip?: number;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  query: string;
  fault?: Fault['kind'];
}

export interface ProxyRequestCounts {
  total: number;
  byMethod: Record<string, number>;
  /** Requests a fault was applied to, by fault kind. */
  faulted: Record<string, number>;
  /** Every request in arrival order. */
  log: ProxiedRequest[];
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly target: string;
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** A snapshot of what the proxy has seen since it started (or since resetCounts). */
  readonly requests: ProxyRequestCounts;
  resetCounts(): void;
  stop(): Promise<void>;
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

const MID_BODY_SETTLE_MS = 20;

function matches(m: FaultMatch, req: ProxiedRequest): boolean {
  if (m.method !== undefined && m.method.toUpperCase() !== req.method) return false;
  if (m.path && !m.path.test(req.path)) return false;
  if (m.query && !m.query.test(req.query)) return false;
  return true;
}

function pickFault(rules: RuleState[], req: ProxiedRequest): Fault | undefined {
  for (const state of rules) {
    if (!matches(state.rule.match, req)) continue;
    state.seen += 1;
    if (state.seen <= (state.rule.skip ?? 0)) continue;
    if (state.rule.times !== undefined && state.fired >= state.rule.times) continue;
    state.fired += 1;
    return state.rule.fault;
  }
  return undefined;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function s3ErrorXml(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code>` +
    `<Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource>` +
    `<RequestId>holdfast-fault-proxy</RequestId></Error>`;
}

function reset(socket: Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

function respondStatus(req: IncomingMessage, res: ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
  const body = s3ErrorXml(fault.code, fault.message ?? `injected by fault proxy: ${fault.code}`, req.url ?? '/');
  // The body is drained first so that a client still uploading does not see EPIPE instead.
  req.resume();
  req.once('end', () => {
    res.writeHead(fault.status, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(body),
      'x-amz-request-id': 'holdfast-fault-proxy',
    });
    res.end(body);
  });
}

/** Sends the headers and at most `limit` body bytes, then closes (truncate) or resets (mid-body). */
function relayPartial(upRes: IncomingMessage, res: ServerResponse, limit: number, close: 'end' | 'reset'): void {
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
  res.flushHeaders();
  let sent = 0;
  const finish = (): void => {
    upRes.destroy();
    const socket = res.socket;
    if (!socket) return;
    if (close === 'end') socket.end();
    else setTimeout(() => reset(socket), MID_BODY_SETTLE_MS);
  };
  if (limit <= 0) {
    finish();
    return;
  }
  const onData = (chunk: Buffer): void => {
    const part = chunk.subarray(0, limit - sent);
    sent += part.length;
    if (sent < limit) {
      res.write(part);
      return;
    }
    upRes.off('data', onData);
    upRes.pause();
    res.write(part, finish);
  };
  upRes.on('data', onData);
  upRes.once('end', () => {
    if (sent < limit) finish();
  });
}

function relayResponse(upRes: IncomingMessage, res: ServerResponse, fault: Fault | undefined): void {
  if (fault?.kind === 'reset' && fault.at === 'response-headers') {
    upRes.resume();
    if (res.socket) reset(res.socket);
    return;
  }
  if (fault?.kind === 'reset' && fault.at === 'mid-body') {
    const length = Number(upRes.headers['content-length'] ?? 0);
    relayPartial(upRes, res, Math.max(1, Math.floor(length / 2)), 'reset');
    return;
  }
  if (fault?.kind === 'truncate') {
    relayPartial(upRes, res, fault.bytes, 'end');
    return;
  }
  res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
  upRes.pipe(res);
  upRes.once('error', () => res.destroy());
}

function forward(target: URL, agent: Agent, req: IncomingMessage, res: ServerResponse, fault: Fault | undefined): void {
  const upReq = httpRequest({
    host: target.hostname,
    port: target.port || 80,
    method: req.method,
    path: req.url,
    headers: req.rawHeaders,
    agent,
  });
  upReq.once('response', (upRes) => relayResponse(upRes, res, fault));
  upReq.once('error', (err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = s3ErrorXml('ProxyUpstreamError', err.message, req.url ?? '/');
    res.writeHead(502, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  res.once('close', () => {
    if (!res.writableFinished) upReq.destroy();
  });
  req.pipe(upReq);
}

function describeRequest(req: IncomingMessage): ProxiedRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
  };
}

function emptyCounts(): ProxyRequestCounts {
  return { total: 0, byMethod: {}, faulted: {}, log: [] };
}

function record(counts: ProxyRequestCounts, entry: ProxiedRequest): void {
  counts.total += 1;
  counts.byMethod[entry.method] = (counts.byMethod[entry.method] ?? 0) + 1;
  if (entry.fault) counts.faulted[entry.fault] = (counts.faulted[entry.fault] ?? 0) + 1;
  counts.log.push(entry);
}

async function handle(target: URL, agent: Agent, fault: Fault | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (fault?.kind === 'status') {
    respondStatus(req, res, fault);
    return;
  }
  if (fault?.kind === 'reset' && fault.at === 'request') {
    reset(req.socket);
    return;
  }
  if (fault?.kind === 'delay') await sleep(fault.ms);
  if (req.socket.destroyed) return;
  forward(target, agent, req, res, fault);
}

export async function startFaultProxy(targetEndpoint: string): Promise<FaultProxy> {
  const target = new URL(targetEndpoint);
  if (target.protocol !== 'http:') throw new Error(`fault proxy forwards plain http only, not ${targetEndpoint}`);
  const agent = new Agent({ keepAlive: true });
  let rules: RuleState[] = [];
  let counts = emptyCounts();
  const server = createServer((req, res) => {
    const entry = describeRequest(req);
    const fault = pickFault(rules, entry);
    if (fault) entry.fault = fault.kind;
    record(counts, entry);
    handle(target, agent, fault, req, res).catch(() => reset(req.socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    target: targetEndpoint,
    addRule: (rule) => {
      rules.push({ rule, seen: 0, fired: 0 });
    },
    clearRules: () => {
      rules = [];
    },
    get requests(): ProxyRequestCounts {
      return structuredClone(counts);
    },
    resetCounts: () => {
      counts = emptyCounts();
    },
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
