/**
 * Holdfast's custom objects and the Secrets they reference, through client-node: read an
 * object, write its status through the status subresource, read a Secret key, record
 * an Event. Objects come back as plain JSON for the API schemas to parse.
 */
import { CoreV1Api, CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { HoldfastError } from '../../core/errors.ts';
import { GROUP, VERSION } from '../api/group.ts';
import { apiMessage, apiStatus, microTime } from './api-values.ts';

export interface ObjectRef {
  readonly plural: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface KubeObjectJson {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { name?: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string; deletionTimestamp?: string | Date; creationTimestamp?: string | Date; finalizers?: string[]; labels?: Record<string, string> };
  readonly spec?: unknown;
  readonly status?: unknown;
}

export interface NamespaceInfo {
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly terminating: boolean;
}

export class HoldfastObjects {
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #events: EventsV1Api;
  readonly #component: string;

  constructor(kc: KubeConfig, component = 'holdfast-operator') {
    this.#custom = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#events = kc.makeApiClient(EventsV1Api);
    this.#component = component;
  }

  /** The object, or undefined when it does not exist (any more). */
  async get(ref: ObjectRef): Promise<KubeObjectJson | undefined> {
    try {
      const base = { group: GROUP, version: VERSION, plural: ref.plural, name: ref.name };
      return (await (ref.namespace
        ? this.#custom.getNamespacedCustomObject({ ...base, namespace: ref.namespace })
        : this.#custom.getClusterCustomObject(base))) as KubeObjectJson;
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  /** Objects of a namespaced kind in one namespace, optionally by label selector. */
  async list(plural: string, namespace: string, labelSelector?: string): Promise<KubeObjectJson[]> {
    const res = (await this.#custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, ...(labelSelector ? { labelSelector } : {}) })) as { items?: KubeObjectJson[] };
    return res.items ?? [];
  }

  /** Objects of a kind in every namespace (or of a cluster-scoped kind), optionally by label selector. */
  async listAll(plural: string, labelSelector?: string): Promise<KubeObjectJson[]> {
    const res = (await this.#custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural, ...(labelSelector ? { labelSelector } : {}) })) as { items?: KubeObjectJson[] };
    return res.items ?? [];
  }

  /** The cluster's namespaces with their labels (for namespace label selectors). */
  async namespaces(labelSelector?: string): Promise<NamespaceInfo[]> {
    const res = await this.#core.listNamespace(labelSelector ? { labelSelector } : {});
    return res.items.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {}, uid: n.metadata?.uid ?? '', terminating: n.status?.phase === 'Terminating' }));
  }

  /** One namespace, or undefined when it does not exist. */
  async namespace(name: string): Promise<NamespaceInfo | undefined> {
    try {
      const n = await this.#core.readNamespace({ name });
      return { name, labels: n.metadata?.labels ?? {}, uid: n.metadata?.uid ?? '', terminating: n.status?.phase === 'Terminating' };
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  /** Creates an object; false when one of that name exists already (creation is then idempotent). */
  async create(plural: string, namespace: string, body: KubeObjectJson): Promise<boolean> {
    try {
      await this.#custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, body });
      return true;
    } catch (err) {
      if (apiStatus(err) === 409) return false;
      throw err;
    }
  }

  /** Creates an object, or fails with the API server's reason (exists already, invalid …) in one line. */
  async createOrFail(plural: string, namespace: string, body: KubeObjectJson): Promise<void> {
    try {
      await this.#custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, body });
    } catch (err) {
      const status = apiStatus(err);
      const code = status === 409 ? 'OBJECT_EXISTS' : status === 422 || status === 400 ? 'CONFIG_INVALID' : 'STORAGE_IO';
      throw new HoldfastError(code, `cannot create ${body.kind ?? plural} ${namespace}/${body.metadata?.name ?? ''}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** The object, or an OBJECT_NOT_FOUND error naming it. */
  async getOrFail(ref: ObjectRef, kind: string): Promise<KubeObjectJson> {
    const obj = await this.get(ref);
    if (obj === undefined) throw new HoldfastError('OBJECT_NOT_FOUND', `${kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} does not exist`);
    return obj;
  }

  /** Deletes an object; absent is fine. */
  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.#custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: ref.plural, namespace: ref.namespace ?? '', name: ref.name });
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
    }
  }

  /** Replaces the status (merge patch on the status subresource). */
  async patchStatus(ref: ObjectRef, status: unknown): Promise<void> {
    await this.#mergePatch(ref, { status }, 'status');
  }

  /** Sets metadata.finalizers (merge patch of the object itself). */
  async setFinalizers(ref: ObjectRef, finalizers: readonly string[]): Promise<void> {
    await this.#mergePatch(ref, { metadata: { finalizers } }, 'object');
  }

  async #mergePatch(ref: ObjectRef, body: object, target: 'object' | 'status'): Promise<void> {
    const base = { group: GROUP, version: VERSION, plural: ref.plural, name: ref.name, body };
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const api = this.#custom;
    if (ref.namespace) {
      const params = { ...base, namespace: ref.namespace };
      await (target === 'status' ? api.patchNamespacedCustomObjectStatus(params, options) : api.patchNamespacedCustomObject(params, options));
    } else {
      await (target === 'status' ? api.patchClusterCustomObjectStatus(base, options) : api.patchClusterCustomObject(base, options));
    }
  }

  /** One key of a Secret as text; CONFIG_INVALID errors name the Secret and the key. */
  async secretValue(namespace: string, name: string, key: string): Promise<string> {
    let secret;
    try {
      secret = await this.#core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      if (apiStatus(err) === 404) throw new HoldfastError('CONFIG_INVALID', `Secret ${namespace}/${name} does not exist`, { cause: err });
      throw err;
    }
    const value = secret.data?.[key];
    if (value === undefined) throw new HoldfastError('CONFIG_INVALID', `Secret ${namespace}/${name} has no key '${key}'`);
    return Buffer.from(value, 'base64').toString('utf8');
  }

  /** Records an Event on the object (best effort: a failed Event never fails a reconcile). */
  async event(obj: KubeObjectJson, type: 'Normal' | 'Warning', reason: string, note: string): Promise<void> {
    const namespace = obj.metadata?.namespace ?? 'default';
    const now = new Date();
    await this.#events.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${(obj.metadata?.name ?? 'holdfast').slice(0, 200)}-` },
        eventTime: microTime(now),
        reportingController: `${GROUP}/${this.#component}`,
        reportingInstance: this.#component,
        action: reason,
        reason,
        type,
        note: note.slice(0, 1024),
        regarding: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name, namespace: obj.metadata?.namespace, uid: obj.metadata?.uid },
      },
    }).catch(() => undefined);
  }
}
