/**
 * Parsing the two duration syntaxes of the API: Go durations (`90s`, `1h30m`; fields such
 * as rpo, skewMargin, catalog.interval) and retention spans (`7d`, `1y6m`; keep.within,
 * where m means months, as in `holdfast forget --keep-within`).
 */
import { HoldfastError } from '../../core/errors.ts';
import { GO_DURATION } from './schema-kit.ts';
import { RETENTION_SPAN } from './retention.ts';

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DAY = 86_400_000;
const SPAN_UNITS: Record<string, number> = { h: 3_600_000, d: DAY, w: 7 * DAY, m: 30 * DAY, y: 365 * DAY };

/** Milliseconds in a Go duration such as `1h30m` or `2.5s`. */
export function parseGoDuration(text: string): number {
  if (!GO_DURATION.test(text)) throw new HoldfastError('CONFIG_INVALID', `'${text}' is not a duration such as 90s, 5m or 1h30m`);
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g)) ms += Number(m[1]) * (GO_UNITS[m[2] as string] ?? 0);
  return ms;
}

/** Milliseconds in a retention span such as `7d` or `1y6m`. */
export function parseRetentionSpan(text: string): number {
  if (!RETENTION_SPAN.test(text)) throw new HoldfastError('CONFIG_INVALID', `'${text}' is not a span such as 7d, 2w, 1y6m or 36h`);
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+)([hdwmy])/g)) ms += Number(m[1]) * (SPAN_UNITS[m[2] as string] ?? 0);
  return ms;
}
