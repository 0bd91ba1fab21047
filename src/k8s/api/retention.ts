/** Retention: which of a policy's Backups are kept. Same rules as `holdfast forget`. */
import { z } from 'zod';
import { count, withRules } from './schema-kit.ts';

/** restic-style span: h hours, d days, w weeks, m months (30 days), y years (365 days). */
export const RETENTION_SPAN = /^([0-9]+[hdwmy])+$/;

const bucket = (what: string) => count(`Keep the newest Backup of each of the last N ${what} that have one.`, 100_000).optional();

export const keepSchema = withRules(
  z
    .strictObject({
      last: count('Keep the newest N Backups.', 100_000).optional(),
      hourly: bucket('hours'),
      daily: bucket('days'),
      weekly: bucket('weeks'),
      monthly: bucket('months'),
      yearly: bucket('years'),
      within: z
        .string()
        .max(64)
        .regex(RETENTION_SPAN, 'must be a span such as 7d, 2w, 1y6m or 36h')
        .optional()
        .describe('Keep every Backup newer than the newest one minus this span: h, d, w, m (30 days), y (365 days), e.g. 7d or 1y6m.'),
    })
    .describe(
      'Retention: a Backup kept by any rule is kept; the others are deleted (and their snapshots forgotten). The newest successful Backup is never deleted. Failed Backups are not counted.',
    ),
  [
    {
      cel: 'has(self.last) || has(self.hourly) || has(self.daily) || has(self.weekly) || has(self.monthly) || has(self.yearly) || has(self.within)',
      holds: (k) => Object.values(k).some((v) => v !== undefined),
      message: 'keep needs at least one rule: last, hourly, daily, weekly, monthly, yearly or within',
    },
  ],
);

export type Keep = z.output<typeof keepSchema>;
