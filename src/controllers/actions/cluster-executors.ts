/**
 * The executors that need the cluster, behind one small factory the consistency stages
 * use: exec in a pod's container, an HTTP call (headers may come from a Secret), a Job.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { HoldfastError } from '../../core/errors.ts';
import type { Executor, StreamingExecutor } from '../../consistency/executors/executor.ts';
import type { HttpAction } from '../../k8s/api/actions.ts';
import { kubeHttp, type KubeHttp } from '../../k8s/resources/kube-http.ts';
import { HttpActionExecutor } from './http-action.ts';
import { JobExecutor, type JobActionSpec } from './job-action.ts';
import { clientNodeTransport, PodExecExecutor, type ExecTransport, type PodTarget } from './pod-exec.ts';

export interface ExecOptions {
  readonly timeoutMs: number;
  readonly what?: string;
}

export interface ActionExecutors {
  exec(target: PodTarget, command: readonly string[], opts: ExecOptions): StreamingExecutor;
  http(action: HttpAction, namespace: string, timeoutMs: number): Promise<Executor>;
  job(spec: JobActionSpec): Executor;
}

export class KubeActionExecutors implements ActionExecutors {
  readonly #transport: ExecTransport;
  readonly #http: KubeHttp;

  constructor(kc: KubeConfig, transport?: ExecTransport) {
    this.#transport = transport ?? clientNodeTransport(kc);
    this.#http = kubeHttp(kc);
  }

  exec(target: PodTarget, command: readonly string[], opts: ExecOptions): StreamingExecutor {
    return new PodExecExecutor({ target, command, timeoutMs: opts.timeoutMs, ...(opts.what ? { what: opts.what } : {}) }, this.#transport);
  }

  async http(action: HttpAction, namespace: string, timeoutMs: number): Promise<Executor> {
    const headers: Record<string, string> = {};
    if (action.headersSecretRef) {
      const name = action.headersSecretRef.name;
      const secret = await this.#http.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`)
        .catch((err: unknown) => { throw new HoldfastError('CONFIG_INVALID', `the headers Secret ${namespace}/${name} cannot be read`, { cause: err }); });
      for (const [k, v] of Object.entries(secret.data ?? {})) headers[k] = Buffer.from(v, 'base64').toString('utf8');
    }
    return new HttpActionExecutor(action, headers, timeoutMs);
  }

  job(spec: JobActionSpec): Executor {
    return new JobExecutor(spec, this.#http);
  }
}
