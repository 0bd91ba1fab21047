/**
 * Status writes of the volume stages. Volumes move side by side and each reports
 * progress, so writes go one after the other (a later status never lands before an
 * earlier one), and progress alone is written at most every `everyMs`.
 */
import type { Progress } from '../../k8s/api/results.ts';

export interface StatusWriter {
  /** Writes now (after the writes already queued). */
  save(): Promise<void>;
  /** Writes unless the last write was less than `everyMs` ago. */
  saveProgress(): Promise<void>;
}

export function statusWriter(save: () => Promise<void>, everyMs = 2000): StatusWriter {
  let queue: Promise<void> = Promise.resolve();
  let last = 0;
  const write = (): Promise<void> => {
    last = Date.now();
    queue = queue.then(save, save);
    return queue;
  };
  return {
    save: write,
    saveProgress: () => (Date.now() - last < everyMs ? Promise.resolve() : write()),
  };
}

interface VolumeProgress {
  readonly phase: string;
  readonly bytesDone?: number | undefined;
  readonly bytesTotal?: number | undefined;
}

/** Overall progress from the volumes': bytes summed, volumes done of all. */
/** One StatusWriter per run context, made on first use (a stage serves many runs at once). */
export class StatusWriters<C extends { save(): Promise<void> }> {
  readonly #writers = new WeakMap<C, StatusWriter>();

  of(ctx: C): StatusWriter {
    let w = this.#writers.get(ctx);
    if (w === undefined) {
      w = statusWriter(() => ctx.save());
      this.#writers.set(ctx, w);
    }
    return w;
  }
}

export function volumeProgress(volumes: readonly VolumeProgress[], now: Date): Progress {
  let bytesDone = 0;
  let bytesTotal = 0;
  for (const v of volumes) {
    bytesDone += v.bytesDone ?? 0;
    bytesTotal += v.bytesTotal ?? 0;
  }
  return {
    bytesDone,
    ...(bytesTotal > 0 ? { bytesTotal } : {}),
    itemsDone: volumes.filter((v) => v.phase === 'Completed').length,
    itemsTotal: volumes.length,
    updatedAt: now.toISOString(),
  };
}

/** Runs `work` on each item, at most `limit` at once; the first failure is thrown once all have settled. */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (errors.length > 0) throw errors[0];
}
