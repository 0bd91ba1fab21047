import { HoldfastError } from '../core/errors.ts';

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
