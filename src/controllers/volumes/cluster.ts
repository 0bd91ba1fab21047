/**
 * The Kubernetes calls of the volume stages, as plain JSON over the API paths (the typed
 * client drops fields of kinds it does not know, such as VolumeSnapshots): read (absent →
 * undefined), create (exists → false, so a resumed run reuses what it made), delete
 * (absent is fine), list by label, merge-patch, and a pod's log tail.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound, kubeHttp, type KubeHttp } from '../../k8s/resources/kube-http.ts';

export const SNAPSHOT_API = '/apis/snapshot.storage.k8s.io/v1';

/** The API paths of the kinds the volume stages touch; namespaced ones take the namespace. */
export const PATHS = {
  claims: (ns: string): string => `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
  volumes: (): string => '/api/v1/persistentvolumes',
  pods: (ns: string): string => `/api/v1/namespaces/${ns}/pods`,
  jobs: (ns: string): string => `/apis/batch/v1/namespaces/${ns}/jobs`,
  snapshots: (ns: string): string => `${SNAPSHOT_API}/namespaces/${ns}/volumesnapshots`,
  allSnapshots: (): string => `${SNAPSHOT_API}/volumesnapshots`,
  contents: (): string => `${SNAPSHOT_API}/volumesnapshotcontents`,
  snapshotClasses: (): string => `${SNAPSHOT_API}/volumesnapshotclasses`,
  groupSnapshotClasses: (version: string): string => `/apis/groupsnapshot.storage.k8s.io/${version}/volumegroupsnapshotclasses`,
} as const;

export interface JsonObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** What the volume stages need of the cluster; tests may give a fake. */
export interface VolumeCluster {
  get<T = JsonObject>(collection: string, name: string): Promise<T | undefined>;
  list<T = JsonObject>(collection: string, labelSelector?: string): Promise<T[]>;
  /** False when an object of that name exists already. */
  create(collection: string, body: JsonObject): Promise<boolean>;
  /** Deletes with Background propagation (a Job's pods go too); absent is fine. */
  remove(collection: string, name: string): Promise<void>;
  mergePatch(collection: string, name: string, patch: object): Promise<void>;
  /** The last lines of a container's log; undefined when the pod or its log is not there (yet). */
  podLog(namespace: string, pod: string, container: string, tailLines: number): Promise<string | undefined>;
}

export function kubeVolumeCluster(kc: KubeConfig): VolumeCluster {
  return new KubeVolumeCluster(kubeHttp(kc), kc.makeApiClient(CoreV1Api));
}

class KubeVolumeCluster implements VolumeCluster {
  readonly #http: KubeHttp;
  readonly #core: CoreV1Api;

  constructor(http: KubeHttp, core: CoreV1Api) {
    this.#http = http;
    this.#core = core;
  }

  async get<T = JsonObject>(collection: string, name: string): Promise<T | undefined> {
    try {
      return await this.#http.get<T>(`${collection}/${name}`);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T = JsonObject>(collection: string, labelSelector?: string): Promise<T[]> {
    try {
      return (await this.#http.get<{ items?: T[] }>(collection, { labelSelector })).items ?? [];
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async create(collection: string, body: JsonObject): Promise<boolean> {
    try {
      await this.#http.post(collection, body);
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw err;
    }
  }

  async remove(collection: string, name: string): Promise<void> {
    try {
      await this.#http.delete(`${collection}/${name}`, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async mergePatch(collection: string, name: string, patch: object): Promise<void> {
    await this.#http.patch(`${collection}/${name}`, patch, 'merge');
  }

  async podLog(namespace: string, pod: string, container: string, tailLines: number): Promise<string | undefined> {
    try {
      return await this.#core.readNamespacedPodLog({ namespace, name: pod, container, tailLines });
    } catch {
      return undefined;
    }
  }
}
