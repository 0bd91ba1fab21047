/**
 * A scenario with a sequence of its own, beside the common one of scenario.ts
 * (init → backup → re-backup → change → incremental → restore → check): it runs once per
 * bench run over the selected tools, keeps its runs, and renders its own tables and JSON.
 */
import type { DatasetName, ToolName } from './config.ts';
import type { RunContext } from './drivers/driver.ts';
import type { ScenarioOptions } from './scenario.ts';
import type { ToolAdapter } from './tools/tool.ts';

export interface StandaloneScenario {
  readonly name: DatasetName;
  /** One run over `tools`, in that order. */
  run(tools: ToolAdapter[], ctx: RunContext, opts: ScenarioOptions): Promise<void>;
  /** The printed report over the runs so far (medians). */
  render(tools: ToolName[]): string;
  /** Raw runs and medians for the JSON report. */
  json(tools: ToolName[]): unknown;
}
