/**
 * One run of pg-stream: every tool backs up the same database three times — as loaded,
 * after a scattered 1% change, after a clustered 1% change — each step for all tools
 * before the next change. Per backup: GNU time's wall, CPU and peak RSS; the bytes the
 * tool says it added (holdfast `bytesNew`, restic `data_added`: new blobs before
 * compression); and the repository's growth (`du -sb`, what really landed on disk).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolName } from '../config.ts';
import type { RunContext } from '../drivers/driver.ts';
import { diskUsageBytes, syncDisks } from '../host.ts';
import { measure, type Sample } from '../measure.ts';
import type { ScenarioOptions } from '../scenario.ts';
import { localStore } from '../storage/repo-store.ts';
import type { RepoHandle, ToolAdapter } from '../tools/tool.ts';
import { CLUSTERED, SCATTERED, type PgChange, type PgStreamDatabase } from './database.ts';

export const PG_STREAM_STEPS = ['first backup', 'after 1% scattered', 'after 1% clustered'] as const;
export type PgStreamStep = (typeof PG_STREAM_STEPS)[number];

const CHANGES: Record<PgStreamStep, PgChange | undefined> = {
  'first backup': undefined,
  'after 1% scattered': SCATTERED,
  'after 1% clustered': CLUSTERED,
};

export interface StepResult {
  sample?: Sample;
  /** Dump bytes the tool read. */
  readBytes?: number;
  /** New data the tool reports, before compression (holdfast bytesNew, restic data_added). */
  addedBytes?: number;
  /** What holdfast reports as stored (compressed, encrypted); restic 0.14 does not report it. */
  storedBytes?: number;
  /** Growth of the repository directory (du -sb). */
  repoGrowthBytes?: number;
  error?: string;
}

export interface PgStreamRun {
  run: number;
  dumpBytes: Partial<Record<PgStreamStep, number>>;
  tools: Partial<Record<ToolName, Partial<Record<PgStreamStep, StepResult>>>>;
}

interface BackupSummary {
  readBytes?: number;
  addedBytes?: number;
  storedBytes?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The figures of the JSON summary line either tool prints at the end of a backup. */
export function parseBackupSummary(text: string): BackupSummary {
  const line = text.split('\n').findLast((l) => l.includes('"message_type":"summary"'));
  if (line === undefined) throw new Error('no JSON summary line in the backup output');
  const s = JSON.parse(line) as Record<string, unknown>;
  const out: BackupSummary = {};
  const read = num(s.bytesRead) ?? num(s.total_bytes_processed);
  const added = num(s.bytesNew) ?? num(s.data_added);
  const stored = num(s.bytesStored);
  if (read !== undefined) out.readBytes = read;
  if (added !== undefined) out.addedBytes = added;
  if (stored !== undefined) out.storedBytes = stored;
  return out;
}

interface Lane {
  tool: ToolAdapter;
  repo: RepoHandle;
  results: Partial<Record<PgStreamStep, StepResult>>;
  ok: boolean;
}

async function newLane(tool: ToolAdapter, ctx: RunContext): Promise<Lane> {
  const name = `pg-stream-${tool.name}`;
  const location = await localStore.newRepo(name, ctx.runDir);
  const repo: RepoHandle = { ...location, cacheDir: join(ctx.runDir, 'cache', name), log: join(ctx.runDir, 'logs', `${name}.log`) };
  await rm(repo.cacheDir, { recursive: true, force: true });
  await mkdir(repo.cacheDir, { recursive: true });
  await mkdir(join(ctx.runDir, 'logs'), { recursive: true });
  return { tool, repo, results: {}, ok: true };
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function backup(lane: Lane, db: PgStreamDatabase, name: string, step: PgStreamStep, ctx: RunContext): Promise<StepResult> {
  const out = join(ctx.runDir, 'logs', `pg-stream-${lane.tool.name}-${PG_STREAM_STEPS.indexOf(step)}.json`);
  await rm(out, { force: true });
  const cmd = { ...lane.tool.backupDatabase(lane.repo, db.source(name)), stdout: { log: out } };
  await syncDisks();
  const before = await diskUsageBytes(lane.repo.sizePath);
  const sample = await measure(cmd, ctx);
  const growth = (await diskUsageBytes(lane.repo.sizePath)) - before;
  return { sample, repoGrowthBytes: growth, ...parseBackupSummary(await readFile(out, 'utf8')) };
}

function describe(r: StepResult): string {
  const mb = (n: number | undefined): string => (n === undefined ? '?' : (n / 1e6).toFixed(1));
  const s = r.sample;
  return `${s?.wallS.toFixed(2)} s, ${s?.rssMB.toFixed(1)} MB RSS, added ${mb(r.addedBytes)} MB new, repository +${mb(r.repoGrowthBytes)} MB`;
}

/** Runs the three backups for `tools` (in that order) on a fresh copy of the base database. */
export async function runPgStream(db: PgStreamDatabase, tools: ToolAdapter[], ctx: RunContext, opts: ScenarioOptions): Promise<PgStreamRun> {
  const say = (line: string): void => opts.log(`[pg-stream ${opts.run}/${opts.runs}] ${line}`);
  const name = await db.freshRun();
  const lanes: Lane[] = [];
  for (const tool of tools) lanes.push(await newLane(tool, ctx));
  const result: PgStreamRun = { run: opts.run, dumpBytes: {}, tools: {} };
  for (const lane of lanes) {
    await measure(lane.tool.init(lane.repo), ctx).catch((err: unknown) => {
      lane.ok = false;
      say(`${lane.tool.name} init FAILED: ${errorText(err)}`);
    });
  }
  for (const step of PG_STREAM_STEPS) {
    const change = CHANGES[step];
    if (change) await db.apply(name, change);
    result.dumpBytes[step] = await db.dumpBytes(name);
    for (const lane of lanes.filter((l) => l.ok)) {
      try {
        lane.results[step] = await backup(lane, db, name, step, ctx);
        say(`${lane.tool.name} ${step}: ${describe(lane.results[step])}`);
      } catch (err) {
        lane.results[step] = { error: errorText(err) };
        lane.ok = false;
        say(`${lane.tool.name} ${step} FAILED: ${errorText(err).split('\n')[0]}`);
      }
    }
  }
  for (const lane of lanes) result.tools[lane.tool.name] = lane.results;
  await db.drop(name);
  if (!opts.keep) await Promise.all(lanes.flatMap((l) => [localStore.removeRepo(l.repo), rm(l.repo.cacheDir, { recursive: true, force: true })]));
  return result;
}
