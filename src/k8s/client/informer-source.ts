/**
 * A watch source for controllers over client-node's informer (list, then watch, with
 * reconnects): every add, update and delete of an object of one resource becomes the
 * key `namespace/name` (or `name` for cluster-scoped objects); `map` turns events of a
 * related resource (a Job, a Pod) into the key of the object that owns it.
 */
import { KubernetesObjectApi, makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../core/logger.ts';

export interface ResourcePath {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  /** Watch only this namespace; all namespaces by default. */
  readonly namespace?: string;
}

export function objectKey(obj: KubernetesObject): string {
  const { namespace, name } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

export function resourceUrlPath(r: ResourcePath): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return r.namespace ? `${base}/namespaces/${r.namespace}/${r.plural}` : `${base}/${r.plural}`;
}

export interface InformerSourceOptions<T extends KubernetesObject> {
  readonly kc: KubeConfig;
  readonly resource: ResourcePath;
  readonly logger: Logger;
  readonly labelSelector?: string;
  /** Keys to enqueue for an event; the object's own key by default. */
  readonly map?: (obj: T) => string[];
}

export class InformerSource<T extends KubernetesObject> {
  readonly #o: InformerSourceOptions<T>;
  readonly #informer;

  constructor(options: InformerSourceOptions<T>) {
    this.#o = options;
    const path = resourceUrlPath(options.resource);
    const api = KubernetesObjectApi.makeApiClient(options.kc);
    const r = options.resource;
    const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
    const list = (): Promise<KubernetesListObject<T>> =>
      api.list<T>(apiVersion, r.kind, r.namespace, undefined, undefined, undefined, undefined, options.labelSelector);
    this.#informer = makeInformer<T>(options.kc, path, list, options.labelSelector);
  }

  async start(enqueue: (key: string) => void): Promise<void> {
    const keysOf = (obj: T): string[] => (this.#o.map ? this.#o.map(obj) : [objectKey(obj)]);
    const onEvent = (obj: T): void => {
      for (const key of keysOf(obj)) enqueue(key);
    };
    this.#informer.on('add', onEvent);
    this.#informer.on('update', onEvent);
    this.#informer.on('delete', onEvent);
    this.#informer.on('error', (err: unknown) => {
      this.#o.logger.warn({ resource: this.#o.resource.plural, error: String(err) }, 'watch failed; restarting');
      setTimeout(() => void this.#informer.start().catch(() => {}), 1000).unref();
    });
    await this.#informer.start();
  }

  keys(): string[] {
    return this.#informer.list().flatMap((obj) => (this.#o.map ? this.#o.map(obj) : [objectKey(obj)]));
  }

  /** The cached objects (as last seen by the watch). */
  list(): readonly T[] {
    return this.#informer.list();
  }

  async stop(): Promise<void> {
    await this.#informer.stop();
  }
}
