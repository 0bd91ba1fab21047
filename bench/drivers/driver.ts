/**
 * A dataset driver knows how to lay out one run's data, feed it to a tool, change it
 * for the incremental backup and restore it; the scenario (../scenario.ts) runs the
 * same sequence of timed operations over every driver.
 */
import type { DatasetName } from '../config.ts';
import type { Sample } from '../measure.ts';
import type { Command } from '../proc.ts';
import type { RepoStore } from '../storage/repo-store.ts';
import type { RepoHandle, ToolAdapter } from '../tools/tool.ts';

export interface RestoreOutcome {
  sample: Sample;
  /** Set when the restored data does not match what was backed up. */
  mismatch?: string;
}

export interface RunContext {
  runDir: string;
  /** Where GNU time writes its reports. */
  scratchDir: string;
  /** Limit for one tool command, in seconds. */
  timeoutS: number;
}

export interface DatasetDriver {
  readonly name: DatasetName;
  /** One line describing the data (sizes known after the first run). */
  title(): string;
  /** Fixed explanations printed under the dataset's tables. */
  readonly notes: string[];
  /** Where the repositories go; default: directories under the run dir (../storage/repo-store.ts). */
  readonly store?: RepoStore;
  /** Lays out this run's data; resolves with its logical bytes. */
  prepareRun(ctx: RunContext): Promise<number>;
  /** Reads the source once so each timed backup starts from a warm page cache. */
  warm(): Promise<void>;
  /** Times the data source alone, for reference (may be empty). */
  baselines(ctx: RunContext, phase: 'before' | 'after'): Promise<Record<string, Sample>>;
  backup(tool: ToolAdapter, repo: RepoHandle): Command;
  /** Applies the incremental change; resolves with the new logical bytes. */
  change(): Promise<number>;
  restore(tool: ToolAdapter, repo: RepoHandle, ctx: RunContext): Promise<RestoreOutcome>;
  finishRun(keep: boolean): Promise<void>;
}
