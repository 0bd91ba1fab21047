/**
 * Job hooks: a Job running a client image in the namespace of the Backup or Restore (a
 * dump over the network, a call to an admin tool). The executor creates the Job (no
 * retries of its own: the hook's retries decide), follows it until it succeeds or
 * fails, reports the container's exit code and termination message, and deletes the
 * Job (with its pod) when it ends, times out or is stopped. The Job is owned by the
 * Backup or Restore, so garbage collection removes a Job a crashed operator left.
 */
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { ExecOutput, ExecRequest, Executor } from '../../consistency/executors/executor.ts';
import type { JobAction } from '../../k8s/api/actions.ts';
import { LABELS, MANAGED_BY_VALUE } from '../../k8s/api/group.ts';
import type { KubeHttp } from '../../k8s/resources/kube-http.ts';
import { PodExecError } from './pod-exec.ts';

export interface JobOwner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

export interface JobActionSpec {
  readonly namespace: string;
  /** Prefix of the Job's generated name: `<step>-`. */
  readonly step: string;
  readonly action: JobAction;
  readonly timeoutMs: number;
  readonly owner?: JobOwner;
  readonly labels?: Readonly<Record<string, string>>;
}

const POLL_MS = 1000;

interface JobStatus {
  status?: { succeeded?: number; failed?: number };
}

interface PodList {
  items?: Array<{ status?: { containerStatuses?: Array<{ state?: { terminated?: { exitCode?: number; message?: string; reason?: string } } }> } }>;
}

function terminated(pods: PodList): { exitCode?: number; message?: string; reason?: string } | undefined {
  return pods.items?.[0]?.status?.containerStatuses?.[0]?.state?.terminated;
}

function lastLineOf(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

function jobBody(spec: JobActionSpec): unknown {
  const a = spec.action;
  const env = (a.env ?? []).map((e) => (e.secretKeyRef ? { name: e.name, valueFrom: { secretKeyRef: e.secretKeyRef } } : { name: e.name, value: e.value ?? '' }));
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: {
      generateName: `${spec.step.slice(0, 50)}-`, namespace: spec.namespace,
      labels: { [LABELS.managedBy]: MANAGED_BY_VALUE, ...(spec.labels ?? {}) },
      ...(spec.owner ? { ownerReferences: [{ ...spec.owner, controller: false, blockOwnerDeletion: false }] } : {}),
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: Math.max(1, Math.ceil(spec.timeoutMs / 1000)),
      template: {
        metadata: { labels: { [LABELS.managedBy]: MANAGED_BY_VALUE } },
        spec: {
          restartPolicy: 'Never',
          ...(a.serviceAccountName ? { serviceAccountName: a.serviceAccountName } : {}),
          containers: [{ name: 'hook', image: a.image, ...(a.command ? { command: a.command } : {}), ...(a.args ? { args: a.args } : {}), env }],
        },
      },
    },
  };
}

export class JobExecutor implements Executor {
  readonly what: string;
  readonly timeoutMs: number;
  readonly #spec: JobActionSpec;
  readonly #http: KubeHttp;

  constructor(spec: JobActionSpec, http: KubeHttp) {
    this.#spec = spec;
    this.#http = http;
    this.timeoutMs = spec.timeoutMs;
    this.what = `Job ${spec.step} (${spec.action.image}) in ${spec.namespace}`;
  }

  async run(req: ExecRequest = {}): Promise<ExecOutput> {
    if (req.signal?.aborted) throw new HoldfastError('INTERRUPTED', `${this.what} was stopped`);
    const started = performance.now();
    const base = `/apis/batch/v1/namespaces/${encodeURIComponent(this.#spec.namespace)}/jobs`;
    const created = await this.#http.post<{ metadata: { name: string } }>(base, jobBody(this.#spec));
    const name = created.metadata.name;
    try {
      await this.#follow(`${base}/${name}`, name, req.signal, started);
      return { status: 0, stdout: '', stderr: '', durationMs: performance.now() - started };
    } finally {
      await this.#http.delete(`${base}/${name}`, { propagationPolicy: 'Background' }).catch(() => undefined);
    }
  }

  async #follow(path: string, name: string, signal: AbortSignal | undefined, started: number): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new HoldfastError('INTERRUPTED', `${this.what} (Job ${name}) was stopped`);
      if (this.timeoutMs > 0 && performance.now() - started > this.timeoutMs) {
        throw new HoldfastError('ACTION_TIMEOUT', `${this.what} (Job ${name}) did not finish within ${this.timeoutMs / 1000} s and was stopped`);
      }
      const job = await this.#http.get<JobStatus>(path);
      if ((job.status?.succeeded ?? 0) > 0) return;
      if ((job.status?.failed ?? 0) > 0) throw await this.#failure(name);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async #failure(name: string): Promise<HoldfastError> {
    try {
      const pods = await this.#http.get<PodList>(`/api/v1/namespaces/${encodeURIComponent(this.#spec.namespace)}/pods`, { labelSelector: `job-name=${name}` });
      const t = terminated(pods);
      const detail = lastLineOf(t?.message ?? t?.reason ?? '');
      return new PodExecError(`${this.what} (Job ${name}) failed${t?.exitCode !== undefined ? ` with exit code ${t.exitCode}` : ''}${detail ? `: ${detail}` : ''}`, t?.message ?? '', t?.exitCode);
    } catch (err) {
      return new HoldfastError('ACTION_FAILED', `${this.what} (Job ${name}) failed: ${messageOf(err)}`, { cause: err });
    }
  }
}
