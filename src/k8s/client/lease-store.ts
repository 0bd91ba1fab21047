/**
 * A `coordination.k8s.io/v1` Lease as the leader elector's store. Writes carry the
 * resourceVersion read before, so the API server refuses (409) a write based on a stale
 * read; that refusal is a lost race, not an error.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { apiStatus, microTime } from './api-values.ts';

export interface LeaseFields {
  readonly holder: string | undefined;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: Date | undefined;
  readonly renewTime: Date | undefined;
  readonly transitions: number;
}

export class KubeLeaseStore {
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;

  constructor(kc: KubeConfig, namespace: string, name: string) {
    this.#api = kc.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = name;
  }

  async get(): Promise<(LeaseFields & { resourceVersion: string }) | undefined> {
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace });
      const spec = lease.spec ?? {};
      return {
        holder: spec.holderIdentity || undefined,
        leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
        acquireTime: spec.acquireTime ? new Date(spec.acquireTime) : undefined,
        renewTime: spec.renewTime ? new Date(spec.renewTime) : undefined,
        transitions: spec.leaseTransitions ?? 0,
        resourceVersion: lease.metadata?.resourceVersion ?? '',
      };
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async create(record: LeaseFields): Promise<boolean> {
    return this.#conflictIsFalse(() => this.#api.createNamespacedLease({ namespace: this.#namespace, body: this.#body(record) }));
  }

  async update(record: LeaseFields, resourceVersion: string): Promise<boolean> {
    return this.#conflictIsFalse(() =>
      this.#api.replaceNamespacedLease({ name: this.#name, namespace: this.#namespace, body: this.#body(record, resourceVersion) }));
  }

  async #conflictIsFalse(write: () => Promise<V1Lease>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (apiStatus(err) === 409) return false;
      throw err;
    }
  }

  #body(r: LeaseFields, resourceVersion?: string): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#name, namespace: this.#namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec: {
        ...(r.holder ? { holderIdentity: r.holder } : {}),
        leaseDurationSeconds: r.leaseDurationSeconds,
        ...(r.acquireTime ? { acquireTime: microTime(r.acquireTime) } : {}),
        ...(r.renewTime ? { renewTime: microTime(r.renewTime) } : {}),
        leaseTransitions: r.transitions,
      },
    };
  }
}
