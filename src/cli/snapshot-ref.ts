/** Options that narrow which snapshot `latest` means, shared by restore, dump and ls. */
import type { Command } from '@commander-js/extra-typings';
import type { SnapshotFilter } from '../repo/snapshot/snapshot-store.ts';
import { collect } from './option-values.ts';

export interface LatestFilterOptions {
  host?: string;
  tag: string[];
  path: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander's typed chains do not compose through helpers
export function addLatestFilter<T extends Command<any, any, any>>(cmd: T): T {
  cmd
    .option('--host <name>', "with 'latest': only snapshots from this host")
    .option('--tag <tag>', "with 'latest': only snapshots with this tag (repeatable)", collect, [] as string[])
    .option('--path <path>', "with 'latest': only snapshots of exactly these paths (repeatable)", collect, [] as string[]);
  return cmd;
}

export function latestFilter(opts: Partial<LatestFilterOptions>): SnapshotFilter {
  return {
    ...(opts.host ? { hostname: opts.host } : {}),
    ...(opts.tag?.length ? { tags: opts.tag } : {}),
    ...(opts.path?.length ? { paths: opts.path } : {}),
  };
}
