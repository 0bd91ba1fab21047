/**
 * Watches every pod of the cluster (client-node's informer: list, then watch, relisting
 * after an error): pods with no node go to the binder, pods bound to this node get a
 * PodWorker each, keyed by UID, so a pod deleted and made again under its name is a new
 * pod. A pod that leaves the API takes its processes and files with it.
 */
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import type { KubeConfig, V1Pod, V1ServiceAccountTokenProjection } from '@kubernetes/client-node';
import { PodBinder } from './pod-binder.ts';
import { PodWorker } from './pod-worker.ts';
import type { PodWorkerDeps } from './pod-worker.ts';

export type PodManagerDeps = Omit<PodWorkerDeps, 'core' | 'requestToken'>;

const RELIST_DELAY_MS = 1000;
/** Output of pods that are gone, kept for test diagnostics. */
const RETIRED_KEPT = 500;

/** A bound service-account token for a pod's projected volume (TokenRequest, as the kubelet asks). */
async function requestToken(core: CoreV1Api, pod: V1Pod, projection: V1ServiceAccountTokenProjection): Promise<string> {
  const namespace = pod.metadata?.namespace ?? '';
  const response = await core.createNamespacedServiceAccountToken({
    name: pod.spec?.serviceAccountName ?? 'default',
    namespace,
    body: {
      spec: {
        audiences: projection.audience ? [projection.audience] : [],
        expirationSeconds: projection.expirationSeconds ?? 3600,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
      },
    },
  });
  return response.status?.token ?? '';
}

export class PodManager {
  readonly #nodeName: string;
  readonly #deps: PodWorkerDeps;
  readonly #binder: PodBinder;
  readonly #informer;
  readonly #workers = new Map<string, PodWorker>();
  readonly #byName = new Map<string, string>();
  readonly #retired = new Map<string, string>();
  #stopped = false;

  constructor(kc: KubeConfig, nodeName: string, deps: PodManagerDeps) {
    const core = kc.makeApiClient(CoreV1Api);
    this.#nodeName = nodeName;
    this.#deps = { ...deps, core, requestToken: (pod, projection) => requestToken(core, pod, projection) };
    this.#binder = new PodBinder(core, nodeName, deps.report);
    this.#informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  }

  async start(): Promise<void> {
    this.#informer.on('add', (pod) => this.#onPod(pod));
    this.#informer.on('update', (pod) => this.#onPod(pod));
    this.#informer.on('delete', (pod) => this.#onDelete(pod));
    this.#informer.on('error', (err: unknown) => {
      if (this.#stopped) return;
      this.#deps.report(`pod watch failed, relisting: ${String(err)}`);
      setTimeout(() => {
        if (!this.#stopped) this.#informer.start().catch(() => {});
      }, RELIST_DELAY_MS).unref();
    });
    await this.#informer.start();
  }

  /** The worker of a pod of this node that still exists. */
  find(namespace: string, name: string): PodWorker | undefined {
    const uid = this.#byName.get(`${namespace}/${name}`);
    return uid === undefined ? undefined : this.#workers.get(uid);
  }

  /** What a container printed, also after its pod is gone; '' when unknown. */
  output(namespace: string, name: string, container?: string): string {
    const live = this.find(namespace, name)?.runner(container);
    if (live) return live.output();
    const prefix = `${namespace}/${name}/`;
    const key = container === undefined ? [...this.#retired.keys()].find((k) => k.startsWith(prefix)) : `${prefix}${container}`;
    return (key === undefined ? undefined : this.#retired.get(key)) ?? '';
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#binder.stop();
    await this.#informer.stop();
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    this.#byName.clear();
    await Promise.all(workers.map((w) => w.dispose()));
  }

  #onPod(pod: V1Pod): void {
    if (this.#stopped) return;
    const uid = pod.metadata?.uid ?? '';
    if (!pod.spec?.nodeName) {
      this.#binder.consider(pod);
      return;
    }
    this.#binder.forget(uid);
    if (pod.spec.nodeName !== this.#nodeName) return;
    const worker = this.#workers.get(uid);
    if (worker) {
      worker.update(pod);
      return;
    }
    const created = new PodWorker(this.#deps, pod);
    this.#workers.set(uid, created);
    this.#byName.set(`${created.namespace}/${created.name}`, uid);
    created.start();
  }

  #onDelete(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    this.#binder.forget(uid);
    const worker = this.#workers.get(uid);
    if (worker === undefined) return;
    this.#workers.delete(uid);
    const key = `${worker.namespace}/${worker.name}`;
    if (this.#byName.get(key) === uid) this.#byName.delete(key);
    for (const [container, output] of worker.outputs()) this.#retired.set(`${key}/${container}`, output);
    while (this.#retired.size > RETIRED_KEPT) this.#retired.delete(this.#retired.keys().next().value ?? '');
    void worker.dispose();
  }
}
