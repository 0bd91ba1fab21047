/**
 * etcd's gRPC gateway (the JSON face of its v3 API on the client port, served by etcd
 * 3.4 and later): authenticate, status, and the snapshot stream. `POST
 * /v3/maintenance/snapshot` answers with one JSON object per line, each carrying a
 * base64 `blob` of the database file (32 KiB at a time); the last blob is the SHA-256 of
 * everything before it, which `etcdctl snapshot restore` checks — and so does
 * `verifySnapshot` here, so a cut-short stream never passes as a snapshot. An error in
 * the middle of the stream arrives as a line `{"error": {…}}` under status 200.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { ActionError } from '../executors/executor.ts';

export interface GatewayEndpoint {
  /** `http://host:port`. */
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
}

const HASH_SIZE = 32;

/** The `message` of a gateway error body, which comes in two shapes (unary and stream). */
export function gatewayErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'object' && parsed.error !== null) return String((parsed.error as { message?: unknown }).message ?? body);
    return String(parsed.message ?? parsed.error ?? body);
  } catch {
    return body.trim();
  }
}

/** A whole (small) response body as text. */
export async function bodyText(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const piece of res as AsyncIterable<Buffer>) if (text.length < 1 << 20) text += piece.toString('utf8');
  return text;
}

/**
 * POSTs `body` to `path`; resolves with the response once it started (2xx), else rejects
 * with ActionError carrying the transport's or the gateway's text. node:http rather than
 * fetch: fetch refuses some ports outright (1, 6000, …), a database port may be any.
 */
export function gatewayPost(ep: GatewayEndpoint, path: string, body: unknown, signal: AbortSignal, token?: string): Promise<IncomingMessage> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${ep.url}${path}`, {
      method: 'POST', signal,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(token ? { authorization: token } : {}) },
    });
    req.on('error', (err) => reject(signal.aborted ? err : new ActionError(`POST ${path} failed: ${err.message}`, err.message)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve(res);
      bodyText(res).then((text) => {
        const detail = gatewayErrorText(text);
        reject(new ActionError(`POST ${path} answered ${status}: ${detail}`, detail));
      }, reject);
    });
    req.end(payload);
  });
}

/** A token for the endpoint's user, or undefined when it names none (auth disabled). */
export async function authenticate(ep: GatewayEndpoint, signal: AbortSignal): Promise<string | undefined> {
  if (ep.user === undefined) return undefined;
  const res = await gatewayPost(ep, '/v3/auth/authenticate', { name: ep.user, password: ep.password ?? '' }, signal);
  const { token } = JSON.parse(await bodyText(res)) as { token?: unknown };
  if (typeof token !== 'string') throw new ActionError('POST /v3/auth/authenticate answered without a token', 'no token');
  return token;
}

/** The blobs of a snapshot response, decoded, in order. */
export async function* snapshotBlobs(lines: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let pending = '';
  const decoder = new TextDecoder();
  const parse = (line: string): Buffer | undefined => {
    if (line.trim() === '') return undefined;
    const msg = JSON.parse(line) as { result?: { blob?: unknown }; error?: unknown };
    if (msg.error !== undefined) {
      const text = gatewayErrorText(line);
      throw new ActionError(`the snapshot stream failed: ${text}`, text);
    }
    return typeof msg.result?.blob === 'string' ? Buffer.from(msg.result.blob, 'base64') : undefined;
  };
  for await (const piece of lines) {
    const text = decoder.decode(piece, { stream: true });
    if (!text.includes('\n')) {
      pending += text;
      continue;
    }
    const parts = (pending + text).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      const blob = parse(line);
      if (blob) yield blob;
    }
  }
  const last = parse(pending + decoder.decode());
  if (last) yield last;
}

/**
 * Passes the snapshot's bytes on, holding back the trailing SHA-256 until the end, where
 * it must match the hash of everything before it.
 */
export async function* verifySnapshot(blobs: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let tail = Buffer.alloc(0);
  for await (const blob of blobs) {
    const joined = tail.length === 0 ? blob : Buffer.concat([tail, blob]);
    const cut = Math.max(0, joined.length - HASH_SIZE);
    tail = Buffer.from(joined.subarray(cut));
    if (cut === 0) continue;
    const out = joined.subarray(0, cut);
    hash.update(out);
    yield out;
  }
  if (tail.length < HASH_SIZE || !hash.digest().equals(tail)) {
    throw new ActionError('the snapshot stream ended early or is damaged (its SHA-256 does not match)', 'snapshot hash mismatch');
  }
  yield tail;
}
