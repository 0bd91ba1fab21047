/**
 * `make bench`: holdfast and restic side by side, in one run, on the same real data.
 * Prepares the data (kernel tree cached in $HOLDFAST_CACHE/bench-data, a MinIO server
 * and a PostgreSQL cluster per bench), runs every dataset --runs times (alternating the tool order),
 * prints one table per dataset with medians and ratios against the STACK.md goals, and
 * writes $HOLDFAST_CACHE/bench-run/results-<timestamp>.json.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, USAGE, UsageError, type BenchConfig } from './config.ts';
import { freeBytes, unmountBelow } from './host.ts';
import { prepareDrivers, selectTools, type Prepared } from './prepare.ts';
import { stopRunning } from './proc.ts';
import { renderDataset } from './report/dataset-report.ts';
import { hostInfo, writeJsonReport } from './report/json-report.ts';
import { summarize, type DatasetRun } from './results.ts';
import { runScenario } from './scenario.ts';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const MIN_FREE_BYTES = 8e9;

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

class Cleanups {
  private readonly steps: (() => Promise<void>)[] = [];
  add(step: () => Promise<void>): void {
    this.steps.unshift(step);
  }
  async runAll(): Promise<void> {
    for (const step of this.steps.splice(0)) await step().catch((err: unknown) => log(`bench: cleanup failed: ${String(err)}`));
  }
}

async function checkDisk(runDir: string): Promise<void> {
  const free = await freeBytes(runDir);
  if (free < MIN_FREE_BYTES) log(`bench: WARNING only ${(free / 1e9).toFixed(1)} GB free under ${runDir}; a full bench needs ~${MIN_FREE_BYTES / 1e9} GB`);
}

async function runAll(config: BenchConfig, prepared: Prepared, runDir: string): Promise<DatasetRun[]> {
  const runs: DatasetRun[] = [];
  const ctx = { runDir, scratchDir: runDir, timeoutS: config.timeoutS };
  for (let run = 1; run <= config.runs; run++) {
    const order = run % 2 === 1 ? prepared.tools : [...prepared.tools].reverse();
    for (const driver of prepared.drivers) {
      runs.push(await runScenario(driver, order, ctx, { run, runs: config.runs, keep: config.keep, log }));
    }
    for (const scenario of prepared.standalone) await scenario.run(order, ctx, { run, runs: config.runs, keep: config.keep, log });
  }
  return runs;
}

function printTables(prepared: Prepared, runs: DatasetRun[]): void {
  const names = prepared.tools.map((t) => t.name);
  const tables = prepared.drivers.flatMap((d) => {
    const s = summarize(runs.filter((r) => r.dataset === d.name));
    return s ? [renderDataset(s, d.title(), names, d.notes)] : [];
  });
  tables.push(...prepared.standalone.map((s) => s.render(names)));
  process.stdout.write(`\n${tables.join('\n\n')}\n\n`);
  process.stdout.write('speed-up = restic wall / holdfast wall; RSS h/r and repository h/r = holdfast / restic; ✓ goal met, ✗ missed (as printed).\n');
  process.stdout.write(`versions: ${Object.values(prepared.versions).join('; ')}\n`);
  if (prepared.skipped.length > 0) process.stdout.write(`skipped: ${prepared.skipped.join('; ')}\n`);
}

async function writeJson(config: BenchConfig, prepared: Prepared, runs: DatasetRun[], startedAt: Date, stamp: string): Promise<string> {
  const summaries = prepared.drivers.flatMap((d) => {
    const s = summarize(runs.filter((r) => r.dataset === d.name));
    return s ? [{ ...s, title: d.title() }] : [];
  });
  return writeJsonReport(config.runRoot, stamp, {
    startedAt: startedAt.toISOString(),
    totalSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    config: { runs: config.runs, datasets: config.datasets, tools: config.tools, keep: config.keep },
    host: hostInfo(),
    versions: prepared.versions,
    skipped: prepared.skipped,
    prepSeconds: prepared.prepSeconds,
    summaries,
    runs,
    standalone: Object.fromEntries(prepared.standalone.map((s) => [s.name, s.json(prepared.tools.map((t) => t.name))])),
  });
}

async function bench(config: BenchConfig, cleanups: Cleanups): Promise<void> {
  const startedAt = new Date();
  const stamp = timestamp(startedAt);
  const runDir = join(config.runRoot, stamp);
  await mkdir(runDir, { recursive: true });
  cleanups.add(async () => {
    await unmountBelow(runDir);
    if (!config.keep) await rm(runDir, { recursive: true, force: true });
  });
  await checkDisk(runDir);
  const selected = await selectTools(config, log);
  if (selected.tools.length === 0) throw new Error('no tool to benchmark (see the SKIPPING lines above)');
  const data = await prepareDrivers(config, runDir, log, (step) => cleanups.add(step));
  const prepared: Prepared = { ...selected, ...data, versions: { ...selected.versions, ...data.versions }, skipped: [...selected.skipped, ...data.skipped] };
  const runs = await runAll(config, prepared, runDir);
  printTables(prepared, runs);
  const file = await writeJson(config, prepared, runs, startedAt, stamp);
  const took = Math.round((Date.now() - startedAt.getTime()) / 1000);
  process.stdout.write(`results: ${file}${config.keep ? `\nkept: ${runDir}` : ''}\nbench took ${took} s\n`);
}

async function main(): Promise<number> {
  let config: BenchConfig;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    log(`${err.message}\n${USAGE}`);
    return 2;
  }
  const cleanups = new Cleanups();
  const interrupt = (): void => {
    log('bench: interrupted, cleaning up');
    void stopRunning()
      .then(() => cleanups.runAll())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    await bench(config, cleanups);
    return 0;
  } catch (err) {
    log(`bench: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await cleanups.runAll();
  }
}

process.exitCode = await main();
