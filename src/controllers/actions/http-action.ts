/**
 * HTTP hooks from the operator: the consistency layer's HTTP executor does the request;
 * this wrapper keeps the response status in the error too (status.hooks records it)
 * and adds headers from a Secret. TLS verification cannot be switched off here: give
 * the endpoint's CA in caBundle instead.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { ExecOutput, ExecRequest, Executor } from '../../consistency/executors/executor.ts';
import { ActionError, lastLine, STDERR_TAIL } from '../../consistency/executors/executor.ts';
import { HttpCallExecutor } from '../../consistency/executors/http-call.ts';
import type { HttpAction } from '../../k8s/api/actions.ts';

const EVERY_STATUS = Array.from({ length: 500 }, (_, i) => i + 100);

export class HttpStatusError extends ActionError {
  readonly httpStatus: number;

  constructor(message: string, body: string, httpStatus: number) {
    super(message, body);
    this.name = 'HttpStatusError';
    this.httpStatus = httpStatus;
  }
}

export class HttpActionExecutor implements Executor {
  readonly what: string;
  readonly timeoutMs: number;
  readonly #inner: HttpCallExecutor;
  readonly #expected: readonly number[] | undefined;

  constructor(action: HttpAction, extraHeaders: Readonly<Record<string, string>>, timeoutMs: number) {
    if (action.insecureSkipTLSVerify) throw new HoldfastError('CONFIG_INVALID', `http hook ${action.url}: insecureSkipTLSVerify is not supported by the operator; give the server's CA in caBundle`);
    this.#inner = new HttpCallExecutor({
      method: action.method, url: action.url, timeoutMs, expectStatus: EVERY_STATUS,
      headers: { ...(action.headers ?? {}), ...extraHeaders },
      ...(action.body !== undefined ? { body: action.body } : {}),
      ...(action.caBundle !== undefined ? { ca: action.caBundle } : {}),
    });
    this.#expected = action.expectedStatus;
    this.what = this.#inner.what;
    this.timeoutMs = timeoutMs;
  }

  async run(req: ExecRequest = {}): Promise<ExecOutput> {
    const out = await this.#inner.run(req);
    const ok = this.#expected && this.#expected.length > 0 ? this.#expected.includes(out.status) : out.status >= 200 && out.status < 300;
    if (ok) return out;
    const want = this.#expected && this.#expected.length > 0 ? this.#expected.join(' or ') : '2xx';
    const detail = lastLine(out.stdout).slice(0, 200);
    throw new HttpStatusError(`${this.what} answered ${out.status} (expected ${want})${detail ? `: ${detail}` : ''}`, out.stdout.slice(-STDERR_TAIL), out.status);
  }
}

/** The host an HTTP action calls, for status (no credentials, no path). */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.slice(0, 64);
  }
}
