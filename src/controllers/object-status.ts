/** What every reconciler does with the object it works on: address it, and start a new status from the old. */
import type { Condition } from '../k8s/api/condition.ts';
import { HoldfastError } from '../core/errors.ts';
import type { HoldfastObjects, KubeObjectJson, ObjectRef } from '../k8s/client/custom-objects.ts';

export function refOf(obj: KubeObjectJson, plural: string): ObjectRef {
  const namespace = obj.metadata?.namespace;
  return { plural, name: obj.metadata?.name ?? '', ...(namespace ? { namespace } : {}) };
}

/** A copy of the object's status to edit (conditions copied too), stamped with its generation. */
export function freshStatus<S extends { conditions?: Condition[] | undefined; observedGeneration?: number | undefined }>(obj: KubeObjectJson): S {
  const before = (obj.status ?? {}) as S;
  return { ...before, conditions: [...(before.conditions ?? [])], observedGeneration: obj.metadata?.generation ?? 0 };
}

/**
 * The signal a run works under: aborted once the object is gone or being deleted (polled
 * every `pollMs`), or once the operator stops (`stopping`, the controller's signal).
 * `deleted()` and `interrupted()` tell the two apart: a deleted object's run is cancelled,
 * while a run the operator's shutdown interrupted is left as it stands (objects, snapshots
 * and status) for the next leader to resume, as after a crash.
 * `stop()` ends the polling.
 */
export function runSignal(objects: HoldfastObjects, ref: ObjectRef, uid: string, stopping?: AbortSignal, pollMs = 2000): { signal: AbortSignal; deleted: () => boolean; interrupted: () => boolean; stop: () => void } {
  const ac = new AbortController();
  const timer = setInterval(() => {
    objects.get(ref).then(
      (o) => {
        if (o === undefined || o.metadata?.uid !== uid || o.metadata.deletionTimestamp) ac.abort(new HoldfastError('INTERRUPTED', `${ref.plural} ${ref.namespace ?? ''}/${ref.name} was deleted while it ran`));
      },
      () => undefined,
    );
  }, pollMs);
  timer.unref();
  const signal = stopping === undefined ? ac.signal : AbortSignal.any([ac.signal, stopping]);
  const deleted = (): boolean => ac.signal.aborted;
  return { signal, deleted, interrupted: () => stopping?.aborted === true && !deleted(), stop: () => clearInterval(timer) };
}
