/**
 * One timed command under GNU time (`/usr/bin/time -f '%e %U %S %M'`). GNU time reports
 * the rusage of its child, which includes every descendant that child waited for: a
 * `bash -c 'pg_dump | tool'` sample therefore counts pg_dump's CPU time too, and its
 * peak RSS is the largest single process of the pipeline.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execute, CommandError, type Command } from './proc.ts';

export const GNU_TIME = '/usr/bin/time';

export interface Sample {
  wallS: number;
  userS: number;
  sysS: number;
  cpuS: number;
  rssMB: number;
}

/** Parses the last line GNU time wrote ("Command exited with …" lines come before it). */
export function parseTimeOutput(text: string): Sample {
  const line = text.trim().split('\n').at(-1) ?? '';
  const fields = line.trim().split(/\s+/).map(Number);
  if (fields.length !== 4 || fields.some((n) => !Number.isFinite(n))) {
    throw new Error(`unexpected GNU time output: ${JSON.stringify(text)}`);
  }
  const [wallS = 0, userS = 0, sysS = 0, rssKB = 0] = fields;
  return { wallS, userS, sysS, cpuS: round(userS + sysS), rssMB: round((rssKB * 1024) / 1e6) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

let counter = 0;

async function logTail(cmd: Command): Promise<string> {
  const log = typeof cmd.stderr === 'object' ? cmd.stderr.log : undefined;
  if (log === undefined) return '';
  const text = await readFile(log, 'utf8').catch(() => '');
  return `${text.slice(-2000)}\n(log: ${log})`;
}

export interface MeasureOptions {
  /** Where GNU time writes its report. */
  scratchDir: string;
  /** Kills the command (and fails the sample) after this many seconds. */
  timeoutS?: number;
}

/** Runs `cmd` under GNU time; fails with the command's stderr when it exits non-zero. */
export async function measure(cmd: Command, opts: MeasureOptions): Promise<Sample> {
  const timeFile = join(opts.scratchDir, `time-${process.pid}-${counter++}.txt`);
  const argv = [GNU_TIME, '-f', '%e %U %S %M', '-o', timeFile, '--', ...cmd.argv];
  const timed: Command = { ...cmd, argv, timeoutS: cmd.timeoutS ?? opts.timeoutS };
  try {
    const res = await execute(timed);
    if (res.code !== 0 || res.timedOut) throw new CommandError(cmd.argv, { ...res, stderr: res.stderr || (await logTail(cmd)) });
    return parseTimeOutput(await readFile(timeFile, 'utf8'));
  } finally {
    await rm(timeFile, { force: true });
  }
}
