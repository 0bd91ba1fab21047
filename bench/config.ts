/**
 * The benchmark's settings, parsed once from argv and the environment. Nothing else
 * in bench/ reads process.env or process.argv.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATASETS = ['tree', 'tree-s3', 'pgdump', 'random', 'pg-stream'] as const;
export type DatasetName = (typeof DATASETS)[number];
export const TOOLS = ['holdfast', 'restic'] as const;
export type ToolName = (typeof TOOLS)[number];

export interface BenchConfig {
  runs: number;
  /** Limit for one timed tool command, in seconds. */
  timeoutS: number;
  datasets: DatasetName[];
  tools: ToolName[];
  keep: boolean;
  cacheDir: string;
  dataDir: string;
  runRoot: string;
  holdfastEntry: string;
  kernelTarball: string;
  pgBinDir: string;
}

export const USAGE = `usage: node bench/run.ts [--runs N] [--only tree|tree-s3|pgdump|random|pg-stream[,…]] [--tools holdfast,restic] [--keep] [--timeout S]
  --runs N     repeat every measurement N times and report medians (default 1)
  --timeout S  kill a tool command that runs longer than S seconds and record it as failed (default 900)
  --only LIST  datasets to run (default: tree,tree-s3,pgdump,random,pg-stream; tree-s3 = the tree on a local MinIO;
               pg-stream = holdfast backup postgres://… vs pg_dump | restic backup --stdin)
  --tools LIST tools to compare (default: holdfast,restic)
  --keep       keep repositories and work dirs under $HOLDFAST_CACHE/bench-run for inspection
environment: HOLDFAST_CACHE (default ~/.cache/holdfast-dev; MinIO from scripts/install-minio.sh is looked for there),
  HOLDFAST_BENCH_HOLDFAST (holdfast entry .ts),
  HOLDFAST_BENCH_KERNEL_TARBALL, HOLDFAST_BENCH_PG_BINDIR`;

export class UsageError extends Error {
  readonly code = 'USAGE';
}

function parseList<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length > 0 || items.length === 0) {
    throw new UsageError(`${flag}: expected a comma list of ${allowed.join('|')}, got "${value}"`);
  }
  return [...new Set(items as T[])];
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got "${value}"`);
  return n;
}

interface Flags {
  runs: number;
  timeoutS: number;
  datasets: DatasetName[];
  tools: ToolName[];
  keep: boolean;
}

export function parseFlags(argv: string[]): Flags {
  const flags: Flags = { runs: 1, timeoutS: 900, datasets: [...DATASETS], tools: [...TOOLS], keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${name}: missing value`);
      return v;
    };
    if (name === '--runs') flags.runs = positiveInt(name, value());
    else if (name === '--timeout') flags.timeoutS = positiveInt(name, value());
    else if (name === '--only') flags.datasets = parseList(value(), DATASETS, '--only');
    else if (name === '--tools') flags.tools = parseList(value(), TOOLS, '--tools');
    else if (name === '--keep') flags.keep = true;
    else throw new UsageError(`unknown argument "${arg}"`);
  }
  return flags;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): BenchConfig {
  const flags = parseFlags(argv);
  const cacheDir = resolve(env.HOLDFAST_CACHE || join(homedir(), '.cache', 'holdfast-dev'));
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  return {
    ...flags,
    cacheDir,
    dataDir: join(cacheDir, 'bench-data'),
    runRoot: join(cacheDir, 'bench-run'),
    holdfastEntry: env.HOLDFAST_BENCH_HOLDFAST || join(repoRoot, 'src', 'bin', 'holdfast-start.js'),
    kernelTarball: env.HOLDFAST_BENCH_KERNEL_TARBALL || '/usr/src/linux-source-6.1.tar.xz',
    pgBinDir: env.HOLDFAST_BENCH_PG_BINDIR || '/usr/lib/postgresql/15/bin',
  };
}
