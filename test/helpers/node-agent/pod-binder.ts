/**
 * The scheduler's part, reduced to the one node: a pod without `spec.nodeName` is bound to
 * it through `pods/binding`, which is how pods of Jobs, Deployments and StatefulSets get to
 * run. Like the scheduler's VolumeBinding plugin, a pod whose claims (of
 * `persistentVolumeClaim` or generic `ephemeral` volumes) are missing or unbound is not
 * bound: it gets `PodScheduled=False` (`Unschedulable`) and is tried again every second.
 * Node selectors, affinity, taints and resources are not looked at.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './errors.ts';

const RETRY_MS = 1000;

function claimNames(pod: V1Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => {
    if (v.persistentVolumeClaim) return [v.persistentVolumeClaim.claimName];
    if (v.ephemeral) return [`${pod.metadata?.name ?? ''}-${v.name}`];
    return [];
  });
}

export class PodBinder {
  readonly #core: CoreV1Api;
  readonly #nodeName: string;
  readonly #report: (message: string) => void;
  readonly #waiting = new Map<string, V1Pod>();
  readonly #busy = new Set<string>();
  readonly #told = new Map<string, string>();
  readonly #timer: NodeJS.Timeout;

  constructor(core: CoreV1Api, nodeName: string, report: (message: string) => void) {
    this.#core = core;
    this.#nodeName = nodeName;
    this.#report = report;
    this.#timer = setInterval(() => {
      for (const pod of this.#waiting.values()) void this.#try(pod);
    }, RETRY_MS);
    this.#timer.unref();
  }

  /** A pod the watch saw with no node. */
  consider(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    // A gated pod waits for its gates to be removed, as the scheduler makes it wait.
    if (pod.metadata?.deletionTimestamp || pod.spec?.nodeName || (pod.spec?.schedulingGates ?? []).length > 0) {
      this.forget(uid);
      return;
    }
    this.#waiting.set(uid, pod);
    void this.#try(pod);
  }

  forget(uid: string): void {
    this.#waiting.delete(uid);
    this.#told.delete(uid);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#waiting.clear();
  }

  async #try(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    if (this.#busy.has(uid)) return;
    this.#busy.add(uid);
    try {
      const unschedulable = await this.#unboundClaim(pod);
      if (unschedulable === undefined) await this.#bind(pod);
      else await this.#markUnschedulable(pod, unschedulable);
    } catch (err) {
      this.#report(`scheduling pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}: ${String(err)}`);
    } finally {
      this.#busy.delete(uid);
    }
  }

  async #unboundClaim(pod: V1Pod): Promise<string | undefined> {
    const namespace = pod.metadata?.namespace ?? '';
    for (const name of claimNames(pod)) {
      try {
        const pvc = await this.#core.readNamespacedPersistentVolumeClaim({ namespace, name });
        if (pvc.status?.phase !== 'Bound') return 'pod has unbound immediate PersistentVolumeClaims';
      } catch (err) {
        if (isNotFound(err)) return `persistentvolumeclaim "${name}" not found`;
        throw err;
      }
    }
    return undefined;
  }

  async #bind(pod: V1Pod): Promise<void> {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    try {
      await this.#core.createNamespacedPodBinding({
        namespace,
        name,
        body: { metadata: { name, uid: pod.metadata?.uid }, target: { apiVersion: 'v1', kind: 'Node', name: this.#nodeName } },
      });
    } catch (err) {
      // Gone, or bound already (by an earlier try): nothing left to do either way.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.forget(pod.metadata?.uid ?? '');
  }

  async #markUnschedulable(pod: V1Pod, message: string): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    if (this.#told.get(uid) === message) return;
    const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    await this.#core.patchNamespacedPodStatus(
      { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', body: { metadata: { uid }, status: { conditions: [condition] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    this.#told.set(uid, message);
  }
}
