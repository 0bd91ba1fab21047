/**
 * Freeze mode scale-to-zero: the workload is scaled to 0 and back. Before the scale-down
 * its replica count and the freezing Backup's uid go into annotations on the workload,
 * so the count survives an operator restart: the next run of the same Backup (or any
 * later freeze of the workload) finds the annotations and scales it back first. The
 * thaw restores the remembered count and removes the annotations. The freeze counts as
 * taken once no pod of the workload is running any more (terminating pods count as gone).
 */
import { HoldfastError } from '../../core/errors.ts';
import type { FreezeStrategy, Frozen } from '../../consistency/freeze/freeze.ts';
import type { WorkloadReference } from '../../k8s/api/refs.ts';
import { ANNOTATIONS, GROUP } from '../../k8s/api/group.ts';
import type { HookResult } from '../../k8s/api/results.ts';
import type { KubeHttp } from '../../k8s/resources/kube-http.ts';
import { listPods } from './pods.ts';
import type { StepScope } from './step-runner.ts';

export const FROZEN_BY_ANNOTATION = `${GROUP}/frozen-by`;
const REPLICAS = ANNOTATIONS.replicasBeforeScaleDown;
const GONE_POLL_MS = 500;

interface Workload {
  metadata?: { annotations?: Record<string, string> };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
}

const PLURALS: Readonly<Record<WorkloadReference['kind'], string>> = { Deployment: 'deployments', StatefulSet: 'statefulsets', ReplicaSet: 'replicasets' };

function workloadPath(namespace: string, ref: WorkloadReference): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${PLURALS[ref.kind]}/${encodeURIComponent(ref.name)}`;
}

/** Scales the workload back to its remembered count if a freeze left it down; returns the count, or undefined when nothing was left. */
export async function scaleBackLeftover(http: KubeHttp, namespace: string, ref: WorkloadReference): Promise<number | undefined> {
  const w = await http.get<Workload>(workloadPath(namespace, ref));
  const remembered = w.metadata?.annotations?.[REPLICAS];
  if (remembered === undefined || w.metadata?.annotations?.[FROZEN_BY_ANNOTATION] === undefined) return undefined;
  const replicas = Number(remembered);
  await http.patch(workloadPath(namespace, ref), { metadata: { annotations: { [REPLICAS]: null, [FROZEN_BY_ANNOTATION]: null } }, spec: { replicas } }, 'merge');
  return replicas;
}

export class ScaleToZeroFreeze implements FreezeStrategy {
  readonly what: string;
  readonly #namespace: string;
  readonly #ref: WorkloadReference;
  readonly #owner: string;
  readonly #source: string;
  readonly #scope: StepScope;

  constructor(namespace: string, ref: WorkloadReference, owner: string, source: string, scope: StepScope) {
    this.#namespace = namespace;
    this.#ref = ref;
    this.#owner = owner;
    this.#source = source;
    this.#scope = scope;
    this.what = `scale-to-zero of ${ref.kind} ${namespace}/${ref.name}`;
  }

  async freeze(timeoutMs: number): Promise<Frozen> {
    const http = this.#scope.deps.http;
    const path = workloadPath(this.#namespace, this.#ref);
    const startedAt = this.#scope.deps.clock.now();
    await scaleBackLeftover(http, this.#namespace, this.#ref);
    const w = await http.get<Workload>(path);
    const replicas = w.spec?.replicas ?? 1;
    await http.patch(path, { metadata: { annotations: { [REPLICAS]: String(replicas), [FROZEN_BY_ANNOTATION]: this.#owner } } }, 'merge');
    const deadline = Date.now() + timeoutMs;
    let thawed = false;
    const thaw = async (): Promise<string> => {
      if (thawed) return '';
      thawed = true;
      const at = this.#scope.deps.clock.now();
      const back = await scaleBackLeftover(http, this.#namespace, this.#ref);
      await this.#record('unquiesce', at, `replicas 0→${back ?? replicas}`);
      return '';
    };
    try {
      await http.patch(path, { spec: { replicas: 0 } }, 'merge');
      await this.#waitGone(w.spec?.selector?.matchLabels, Math.min(timeoutMs, 120_000));
    } catch (err) {
      await thaw();
      throw err;
    }
    await this.#record('quiesce', startedAt, `replicas ${replicas}→0`);
    return { held: () => !thawed && Date.now() < deadline, thaw };
  }

  async #waitGone(labels: Record<string, string> | undefined, limitMs: number): Promise<void> {
    if (labels === undefined) return;
    const until = Date.now() + limitMs;
    for (;;) {
      const pods = await listPods(this.#scope.deps.http, this.#namespace, { matchLabels: labels });
      if (pods.every((p) => p.phase === 'Terminating' || p.phase === 'Succeeded' || p.phase === 'Failed')) return;
      if (Date.now() > until) throw new HoldfastError('FREEZE_FAILED', `${this.what}: pods still running after ${limitMs / 1000} s: ${pods.map((p) => p.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, GONE_POLL_MS));
    }
  }

  async #record(phase: HookResult['phase'], startedAt: Date, message: string): Promise<void> {
    await this.#scope.record({
      name: 'scale-to-zero', phase, source: this.#source, target: `${this.#ref.kind} ${this.#namespace}/${this.#ref.name}`, outcome: 'Succeeded', attempts: 1,
      startedAt: startedAt.toISOString(), finishedAt: this.#scope.deps.clock.now().toISOString(), message,
    });
  }
}
