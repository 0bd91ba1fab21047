/**
 * A raw JSON client over a KubeConfig. The typed client-node APIs deserialize into
 * model classes that drop fields they do not know and turn timestamps into Dates; a
 * backup must store exactly what the apiserver returned, so the resource layer speaks
 * JSON to the API paths itself, with client-node's authentication and TLS.
 */
import { IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { HoldfastError, messageOf, type ErrorCode } from '../../core/errors.ts';

export type PatchType = 'merge' | 'json' | 'strategic';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export type Query = Record<string, string | undefined>;

export interface KubeHttp {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body: unknown, query?: Query): Promise<T>;
  put<T>(path: string, body: unknown, query?: Query): Promise<T>;
  patch<T>(path: string, body: unknown, type: PatchType): Promise<T>;
  delete(path: string, query?: Query): Promise<void>;
}

/** An apiserver refusal: the HTTP status and the Status reason (NotFound, AlreadyExists, Conflict, Invalid …). */
export class KubeApiError extends HoldfastError {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(codeFor(status), message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

function codeFor(status: number): ErrorCode {
  if (status === 404) return 'OBJECT_NOT_FOUND';
  if (status === 409) return 'OBJECT_EXISTS';
  if (status === 401 || status === 403) return 'AUTH_FAILED';
  if (status === 429 || status >= 500) return 'STORAGE_TRANSIENT';
  return 'RESTORE_TARGET';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists';
}

interface StatusBody {
  message?: string;
  reason?: string;
}

function parseStatus(text: string): StatusBody {
  try {
    return JSON.parse(text) as StatusBody;
  } catch {
    return { message: text.slice(0, 500) };
  }
}

export interface KubeHttpOptions {
  /** Per request; default 60 s. */
  readonly timeoutMs?: number;
}

export function kubeHttp(kc: KubeConfig, options: KubeHttpOptions = {}): KubeHttp {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new HoldfastError('CONFIG_INVALID', 'the kubeconfig has no current cluster');
  const library = new IsomorphicFetchHttpLibrary();
  const timeoutMs = options.timeoutMs ?? 60_000;

  const request = async <T>(method: string, path: string, init: { query?: Query; body?: unknown; contentType?: string }): Promise<T> => {
    const url = new URL(server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), method as 'GET');
    await kc.applySecurityAuthentication(ctx);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setSignal(AbortSignal.timeout(timeoutMs));
    if (init.body !== undefined) {
      ctx.setHeaderParam('Content-Type', init.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(init.body));
    }
    let status: number;
    let text: string;
    try {
      const response = await library.send(ctx).toPromise();
      status = response.httpStatusCode;
      text = await response.body.text();
    } catch (err) {
      throw new HoldfastError('STORAGE_TRANSIENT', `${method} ${path}: ${messageOf(err)}`, { cause: err });
    }
    if (status >= 200 && status < 300) return (text === '' ? undefined : JSON.parse(text)) as T;
    const body = parseStatus(text);
    throw new KubeApiError(status, body.reason ?? `HTTP${status}`, body.message ?? `${method} ${path}: HTTP ${status}`);
  };

  return {
    get: (path, query) => request('GET', path, { query }),
    post: (path, body, query) => request('POST', path, { body, query }),
    put: (path, body, query) => request('PUT', path, { body, query }),
    patch: (path, body, type) => request('PATCH', path, { body, contentType: PATCH_CONTENT_TYPES[type] }),
    delete: async (path, query) => {
      await request('DELETE', path, { query });
    },
  };
}
