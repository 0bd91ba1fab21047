/** What `check` found. */
import type { Id } from '../../core/ids.ts';

export interface CheckIssue {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly pack?: Id;
  readonly blob?: Id;
  readonly snapshot?: Id;
  readonly path?: string;
}

export interface CheckReport {
  readonly issues: CheckIssue[];
  snapshots: number;
  packs: number;
  blobs: number;
  packsRead: number;
  bytesRead: number;
}
