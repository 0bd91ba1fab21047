/**
 * Test builders for Holdfast objects, in Velero's builder style:
 * `forBackup('team-a', 'nightly').repository('main').method('dump').result()`.
 * `raw()` returns the object as written (to send to an apiserver, or to build an invalid
 * one); `result()` parses it, so defaults are applied and a mistake fails loudly.
 */
import type { z } from 'zod';
import { API_VERSION } from '../api/group.ts';
import type { ObjectMeta } from '../api/meta.ts';
import { parseWith } from '../api/parse.ts';
import { formatTime } from '../status/conditions.ts';

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
  status?: unknown;
}

export class ResourceBuilder<Input extends Resource, Output> {
  protected readonly object: Input;
  private readonly schema: z.ZodType<Output>;

  protected constructor(schema: z.ZodType<Output>, kind: Input['kind'], metadata: ObjectMeta, spec: Input['spec']) {
    this.schema = schema;
    this.object = { apiVersion: API_VERSION, kind, metadata, spec } as Input;
  }

  labels(labels: Record<string, string>): this {
    this.object.metadata.labels = { ...this.object.metadata.labels, ...labels };
    return this;
  }

  annotations(annotations: Record<string, string>): this {
    this.object.metadata.annotations = { ...this.object.metadata.annotations, ...annotations };
    return this;
  }

  finalizers(...finalizers: string[]): this {
    this.object.metadata.finalizers = [...(this.object.metadata.finalizers ?? []), ...finalizers];
    return this;
  }

  generation(generation: number): this {
    this.object.metadata.generation = generation;
    return this;
  }

  uid(uid: string): this {
    this.object.metadata.uid = uid;
    return this;
  }

  createdAt(at: Date): this {
    this.object.metadata.creationTimestamp = formatTime(at);
    return this;
  }

  deletedAt(at: Date): this {
    this.object.metadata.deletionTimestamp = formatTime(at);
    return this;
  }

  /** Merges fields into the status. */
  status(status: NonNullable<Input['status']>): this {
    this.object.status = { ...(this.object.status as object | undefined), ...(status as object) };
    return this;
  }

  /** The object as written, unvalidated (a copy). */
  raw(): Input {
    return structuredClone(this.object);
  }

  /** The object parsed: defaults applied; throws when it is not valid. */
  result(): Output {
    return parseWith(this.schema, this.raw());
  }

  protected get spec(): NonNullable<Input['spec']> {
    return this.object.spec as NonNullable<Input['spec']>;
  }
}
