/**
 * One run of one dataset, the same for every tool: init → first backup → unchanged
 * re-backup → (change the data) → incremental backup → restore → check --read-data.
 * Each step is done for all tools before the next, so both back up the very same
 * data; repository sizes are taken with du -sb after each backup. A failed backup
 * skips that tool's later steps; the other tool goes on.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetDriver, RunContext } from './drivers/driver.ts';
import { diskUsageBytes, syncDisks } from './host.ts';
import { measure, type Sample } from './measure.ts';
import { emptyToolRun, type DatasetRun, type Operation, type RepoSizes, type ToolRun } from './results.ts';
import type { RepoHandle, ToolAdapter } from './tools/tool.ts';

interface Lane {
  tool: ToolAdapter;
  repo: RepoHandle;
  result: ToolRun;
  ok: boolean;
}

export interface ScenarioOptions {
  run: number;
  runs: number;
  keep: boolean;
  log: (line: string) => void;
}

function describe(sample: Sample): string {
  return `${sample.wallS.toFixed(2)} s wall, ${sample.cpuS.toFixed(2)} CPU-s, ${sample.rssMB.toFixed(1)} MB RSS`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function newLane(tool: ToolAdapter, dataset: string, ctx: RunContext): Promise<Lane> {
  const name = `${dataset}-${tool.name}`;
  const repo: RepoHandle = { path: join(ctx.runDir, 'repos', name), cacheDir: join(ctx.runDir, 'cache', name), log: join(ctx.runDir, 'logs', `${name}.log`) };
  await rm(repo.path, { recursive: true, force: true });
  await rm(repo.cacheDir, { recursive: true, force: true });
  await mkdir(join(ctx.runDir, 'repos'), { recursive: true });
  await mkdir(repo.cacheDir, { recursive: true });
  await mkdir(join(ctx.runDir, 'logs'), { recursive: true });
  return { tool, repo, result: emptyToolRun(), ok: true };
}

class Runner {
  readonly driver: DatasetDriver;
  readonly ctx: RunContext;
  readonly opts: ScenarioOptions;

  constructor(driver: DatasetDriver, ctx: RunContext, opts: ScenarioOptions) {
    this.driver = driver;
    this.ctx = ctx;
    this.opts = opts;
  }

  private say(lane: Lane, what: string): void {
    this.opts.log(`[${this.driver.name} ${this.opts.run}/${this.opts.runs}] ${lane.tool.name} ${what}`);
  }

  private fail(lane: Lane, op: string, err: unknown, fatal: boolean): void {
    lane.result.errors.push(`${op}: ${errorText(err)}`);
    if (fatal) lane.ok = false;
    this.say(lane, `${op} FAILED${fatal ? ' (skipping its later steps)' : ''}: ${errorText(err).split('\n')[0]}`);
  }

  async init(lane: Lane): Promise<void> {
    try {
      await measure(lane.tool.init(lane.repo), this.ctx);
    } catch (err) {
      this.fail(lane, 'init', err, true);
    }
  }

  async backup(lane: Lane, op: Operation, size: keyof RepoSizes): Promise<void> {
    if (!lane.ok) return;
    await this.driver.warm();
    await this.timed(lane, op, () => measure(this.driver.backup(lane.tool, lane.repo), this.ctx), true);
    if (lane.ok) lane.result.sizes[size] = await diskUsageBytes(lane.repo.path);
  }

  async restore(lane: Lane): Promise<void> {
    if (!lane.ok) return;
    await this.timed(lane, 'restore', async () => {
      const outcome = await this.driver.restore(lane.tool, lane.repo, this.ctx);
      if (outcome.mismatch) lane.result.errors.push(`restore: ${outcome.mismatch}`);
      return outcome.sample;
    }, false);
  }

  async check(lane: Lane): Promise<void> {
    if (!lane.ok) return;
    await this.timed(lane, 'check --read-data', () => measure(lane.tool.checkReadData(lane.repo), this.ctx), false);
  }

  private async timed(lane: Lane, op: Operation, step: () => Promise<Sample>, fatal: boolean): Promise<void> {
    try {
      await syncDisks();
      const sample = await step();
      lane.result.samples[op] = sample;
      this.say(lane, `${op}: ${describe(sample)}`);
    } catch (err) {
      this.fail(lane, op, err, fatal);
    }
  }
}

async function forEachLane(lanes: Lane[], step: (lane: Lane) => Promise<void>): Promise<void> {
  for (const lane of lanes) await step(lane);
}

/** Runs the full sequence for `tools` (in that order) on the driver's data. */
export async function runScenario(driver: DatasetDriver, tools: ToolAdapter[], ctx: RunContext, opts: ScenarioOptions): Promise<DatasetRun> {
  const r = new Runner(driver, ctx, opts);
  const bytesBefore = await driver.prepareRun(ctx);
  const lanes: Lane[] = [];
  for (const tool of tools) lanes.push(await newLane(tool, driver.name, ctx));
  const baselines = await driver.baselines(ctx, 'before');
  await forEachLane(lanes, (l) => r.init(l));
  await forEachLane(lanes, (l) => r.backup(l, 'first backup', 'afterFirst'));
  await forEachLane(lanes, (l) => r.backup(l, 'unchanged re-backup', 'afterRebackup'));
  const bytesAfter = await driver.change();
  Object.assign(baselines, await driver.baselines(ctx, 'after'));
  await forEachLane(lanes, (l) => r.backup(l, 'incremental backup', 'afterIncremental'));
  await forEachLane(lanes, (l) => r.restore(l));
  await forEachLane(lanes, (l) => r.check(l));
  await driver.finishRun(opts.keep);
  if (!opts.keep) await Promise.all(lanes.flatMap((l) => [rm(l.repo.path, { recursive: true, force: true }), rm(l.repo.cacheDir, { recursive: true, force: true })]));
  const toolRuns = Object.fromEntries(lanes.map((l) => [l.tool.name, l.result]));
  return { dataset: driver.name, run: opts.run, bytesBefore, bytesAfter, baselines, tools: toolRuns };
}
