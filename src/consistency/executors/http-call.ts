/**
 * The HTTP executor: one request to an application's own quiesce/backup endpoint (or
 * any admin API). Success is an expected status (default: any 2xx); a TLS CA bundle may
 * be given for endpoints with a private CA. The response body is the action's output.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { ExecOutput, ExecRequest, Executor } from './executor.ts';
import { ActionError, lastLine, STDERR_TAIL, STDOUT_LIMIT } from './executor.ts';

export interface HttpCallSpec {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Accepted statuses; default: 200–299. */
  readonly expectStatus?: readonly number[];
  /** PEM text of the CA(s) to trust for https. */
  readonly ca?: string;
  readonly timeoutMs?: number;
}

/** The URL without credentials or query, for messages. */
function describeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    throw new HoldfastError('CONFIG_INVALID', `'${raw}' is not a valid URL for an HTTP action`);
  }
}

export class HttpCallExecutor implements Executor {
  readonly what: string;
  readonly timeoutMs: number;
  readonly #spec: HttpCallSpec;

  constructor(spec: HttpCallSpec) {
    this.#spec = spec;
    this.what = `${spec.method.toUpperCase()} ${describeUrl(spec.url)}`;
    this.timeoutMs = spec.timeoutMs ?? 0;
  }

  run(req: ExecRequest = {}): Promise<ExecOutput> {
    const started = performance.now();
    const url = new URL(this.#spec.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<ExecOutput>((resolve, reject) => {
      let ended: 'timeout' | 'abort' | undefined;
      const call = send(url, {
        method: this.#spec.method.toUpperCase(),
        headers: { ...this.#spec.headers, ...(this.#spec.body !== undefined ? { 'content-length': Buffer.byteLength(this.#spec.body) } : {}) },
        ...(this.#spec.ca !== undefined ? { ca: this.#spec.ca } : {}),
      });
      const stop = (why: 'timeout' | 'abort'): void => {
        ended ??= why;
        call.destroy();
      };
      const timer = this.timeoutMs > 0 ? setTimeout(() => stop('timeout'), this.timeoutMs) : undefined;
      const onAbort = (): void => stop('abort');
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (req.signal?.aborted) stop('abort');
      const finish = (err: HoldfastError | undefined, out?: ExecOutput): void => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else if (out) resolve(out);
      };
      call.on('error', (err) => finish(this.#transportError(ended, err)));
      call.on('response', (res) => {
        this.#readBody(res).then((body) => finish(this.#statusError(res.statusCode ?? 0, body), {
          status: res.statusCode ?? 0, stdout: body, stderr: '', durationMs: performance.now() - started,
        }), (err: unknown) => finish(this.#transportError(ended, err)));
      });
      call.end(this.#spec.body);
    });
  }

  async #readBody(res: IncomingMessage): Promise<string> {
    let body = '';
    for await (const piece of res as AsyncIterable<Buffer>) if (body.length < STDOUT_LIMIT) body += piece.toString('utf8');
    return body;
  }

  #statusError(status: number, body: string): HoldfastError | undefined {
    const ok = this.#spec.expectStatus ? this.#spec.expectStatus.includes(status) : status >= 200 && status < 300;
    if (ok) return undefined;
    const detail = lastLine(body).slice(0, 200);
    const want = this.#spec.expectStatus ? this.#spec.expectStatus.join(' or ') : '2xx';
    return new ActionError(`${this.what} answered ${status} (expected ${want})${detail ? `: ${detail}` : ''}`, body.slice(-STDERR_TAIL));
  }

  #transportError(ended: 'timeout' | 'abort' | undefined, err: unknown): HoldfastError {
    if (ended === 'timeout') return new HoldfastError('ACTION_TIMEOUT', `${this.what} did not answer within ${this.timeoutMs / 1000} s`);
    if (ended === 'abort') return new HoldfastError('INTERRUPTED', `${this.what} was stopped`);
    return new HoldfastError('ACTION_FAILED', `${this.what} failed: ${messageOf(err)}`, { cause: err });
  }
}
