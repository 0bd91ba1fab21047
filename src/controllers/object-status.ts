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

/** An AbortController aborted once the object is gone or being deleted; `stop()` ends the polling. */
export function deletionSignal(objects: HoldfastObjects, ref: ObjectRef, uid: string, pollMs = 2000): { signal: AbortSignal; stop: () => void } {
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
  return { signal: ac.signal, stop: () => clearInterval(timer) };
}
