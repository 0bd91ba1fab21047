/**
 * Cron schedules as the policy controller needs them (croner: time zones, DST-correct):
 * the run that is due now, and when the next one comes. Time always comes from the
 * injected clock, never from croner's own idea of now.
 */
import { Cron } from 'croner';
import { HoldfastError, messageOf } from '../../core/errors.ts';

/** Like a CronJob, look back over at most this many missed runs. */
const MAX_MISSED = 1000;

export function parseSchedule(cron: string, timeZone: string | undefined): Cron {
  try {
    if (timeZone) new Intl.DateTimeFormat('en', { timeZone });
    return new Cron(cron, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `schedule '${cron}'${timeZone ? ` in ${timeZone}` : ''} is not valid: ${messageOf(err)}`, { cause: err });
  }
}

/** The latest scheduled time after `since` and not after `now`, if any. */
export function dueRun(cron: Cron, since: Date, now: Date): Date | undefined {
  let due: Date | undefined;
  let next = cron.nextRun(since);
  for (let i = 0; next !== null && next.getTime() <= now.getTime() && i < MAX_MISSED; i++) {
    due = next;
    next = cron.nextRun(next);
  }
  return due;
}

export function nextRun(cron: Cron, now: Date): Date | undefined {
  return cron.nextRun(now) ?? undefined;
}

/** A Backup name for the run at `at`: `<policy>-<yyyymmddhhmm>` in UTC (stable, so creating it twice is harmless). */
export function runName(policy: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 12);
  return `${policy.slice(0, 63 - 13)}-${stamp}`;
}
