import { HoldfastError } from '../core/errors.ts';

/** The labels a database snapshot carries (engine, database, server, format, part, dump), read back by `restore --into`. */
export const DB_LABEL = { engine: 'db.engine', name: 'db.name', server: 'db.server', format: 'db.format', part: 'db.part', dump: 'db.dump' } as const;

/** Parses repeated `key=value` options into a label map. */
export function parseLabels(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new HoldfastError('USAGE', `label '${pair}' is not key=value`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}
