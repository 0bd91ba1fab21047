/**
 * One run of one dataset, the same for every tool: init → first backup → `snapshots`
 * (the process's floor, see ToolRun) → unchanged re-backup → (change the data) → incremental backup → restore → check --read-data.
 * Each step is done for all tools before the next, so both back up the very same
 * data; repository sizes are taken with du -sb after each backup. A failed backup
 * skips that tool's later steps; the other tool goes on. Repositories go where the
 * driver's store puts them (local dirs by default, or prefixes on the bench's MinIO,
 * whose counters are then read around every timed step).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetDriver, RunContext } from './drivers/driver.ts';
import { diskUsageBytes, syncDisks } from './host.ts';
import { measure, type Sample } from './measure.ts';
import { emptyToolRun, type DatasetRun, type Operation, type RepoSizes, type ToolRun } from './results.ts';
import { localStore, type RepoStore } from './storage/repo-store.ts';
import { counterDelta, type ServerCounters } from './storage/server-counters.ts';
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

async function newLane(tool: ToolAdapter, dataset: string, store: RepoStore, ctx: RunContext): Promise<Lane> {
  const name = `${dataset}-${tool.name}`;
  const location = await store.newRepo(name, ctx.runDir);
  const repo: RepoHandle = { ...location, cacheDir: join(ctx.runDir, 'cache', name), log: join(ctx.runDir, 'logs', `${name}.log`) };
  await rm(repo.cacheDir, { recursive: true, force: true });
  await mkdir(repo.cacheDir, { recursive: true });
  await mkdir(join(ctx.runDir, 'logs'), { recursive: true });
  return { tool, repo, result: emptyToolRun(), ok: true };
}

class Runner {
  readonly driver: DatasetDriver;
  readonly ctx: RunContext;
  readonly opts: ScenarioOptions;
  readonly store: RepoStore;

  constructor(driver: DatasetDriver, ctx: RunContext, opts: ScenarioOptions) {
    this.driver = driver;
    this.ctx = ctx;
    this.opts = opts;
    this.store = driver.store ?? localStore;
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
    if (lane.ok) lane.result.sizes[size] = await diskUsageBytes(lane.repo.sizePath);
    if (lane.ok && size === 'afterIncremental' && this.store.objectStats) {
      lane.result.objects = await this.store.objectStats(lane.repo).catch(() => undefined);
    }
  }

  async restore(lane: Lane): Promise<void> {
    if (!lane.ok) return;
    await this.timed(lane, 'restore', async () => {
      const outcome = await this.driver.restore(lane.tool, lane.repo, this.ctx);
      if (outcome.mismatch) lane.result.errors.push(`restore: ${outcome.mismatch}`);
      return outcome.sample;
    }, false);
  }

  /** `snapshots`, timed apart from the operations: the least memory the tool's process takes. */
  async floor(lane: Lane): Promise<void> {
    if (!lane.ok) return;
    try {
      lane.result.floor = await measure(lane.tool.listSnapshots(lane.repo), this.ctx);
      this.say(lane, `snapshots (floor): ${describe(lane.result.floor)}`);
    } catch (err) {
      this.fail(lane, 'snapshots', err, false);
    }
  }

  async check(lane: Lane): Promise<void> {
    if (!lane.ok) return;
    await this.timed(lane, 'check --read-data', () => measure(lane.tool.checkReadData(lane.repo), this.ctx), false);
  }

  /** The server's counters, or undefined for local repositories (or when they cannot be read). */
  private async counters(): Promise<ServerCounters | undefined> {
    return this.store.counters?.().catch((err: unknown) => {
      this.opts.log(`[${this.driver.name}] could not read the server's counters: ${errorText(err)}`);
      return undefined;
    });
  }

  private async timed(lane: Lane, op: Operation, step: () => Promise<Sample>, fatal: boolean): Promise<void> {
    try {
      await syncDisks();
      const before = await this.counters();
      const sample = await step();
      const after = before && (await this.counters());
      lane.result.samples[op] = sample;
      if (before && after) (lane.result.server ??= {})[op] = counterDelta(before, after);
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
  for (const tool of tools) lanes.push(await newLane(tool, driver.name, r.store, ctx));
  const baselines = await driver.baselines(ctx, 'before');
  await forEachLane(lanes, (l) => r.init(l));
  await forEachLane(lanes, (l) => r.backup(l, 'first backup', 'afterFirst'));
  await forEachLane(lanes, (l) => r.floor(l));
  await forEachLane(lanes, (l) => r.backup(l, 'unchanged re-backup', 'afterRebackup'));
  const bytesAfter = await driver.change();
  Object.assign(baselines, await driver.baselines(ctx, 'after'));
  await forEachLane(lanes, (l) => r.backup(l, 'incremental backup', 'afterIncremental'));
  await forEachLane(lanes, (l) => r.restore(l));
  await forEachLane(lanes, (l) => r.check(l));
  await driver.finishRun(opts.keep);
  if (!opts.keep) await Promise.all(lanes.flatMap((l) => [r.store.removeRepo(l.repo), rm(l.repo.cacheDir, { recursive: true, force: true })]));
  const toolRuns = Object.fromEntries(lanes.map((l) => [l.tool.name, l.result]));
  return { dataset: driver.name, run: opts.run, bytesBefore, bytesAfter, baselines, tools: toolRuns };
}
