/**
 * Object lock as maintenance sees it: which objects storage still retains (they cannot be
 * deleted before a date), so that forget and prune never try, and can say when they will
 * be able to. On storage without object lock nothing is ever retained.
 */
import type { Id } from '../../core/ids.ts';
import type { ObjectType, Storage } from '../../backend/storage.ts';

export interface Retained {
  readonly name: Id;
  readonly until: Date;
}

/** The objects among `names` that are retained after `now`, with their dates. */
export async function retainedObjects(storage: Storage, type: ObjectType, names: Iterable<Id>, now: Date, parallel = 8): Promise<Map<Id, Date>> {
  const out = new Map<Id, Date>();
  const queue = [...names];
  const worker = async (): Promise<void> => {
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      const { retainUntil } = await storage.stat({ type, name });
      if (retainUntil !== undefined && retainUntil.getTime() > now.getTime()) out.set(name, retainUntil);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/** The latest of the dates, or undefined for none. */
export function lastRelease(dates: Iterable<Date>): Date | undefined {
  let last: Date | undefined;
  for (const d of dates) if (last === undefined || d > last) last = d;
  return last;
}
