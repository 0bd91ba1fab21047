/** Composition root of the `holdfast` CLI: real clock, environment, streams. */
import { systemClock } from '../core/clock.ts';
import { silentLogger } from '../core/logger.ts';
import { readCliEnvironment } from '../config/cli-env.ts';
import { runCli } from '../cli/main.ts';
import { isHoldfastError } from '../core/errors.ts';

/** `holdfast operator`: the Kubernetes operator (see operator.ts); everything else is the CLI. */
async function operator(): Promise<number> {
  const { readOperatorSettings } = await import('../config/operator-env.ts');
  const { createLogger } = await import('../observability/logger.ts');
  const { runOperator } = await import('./operator.ts');
  const settings = readOperatorSettings(process.env);
  const logger = createLogger(process.env.HOLDFAST_LOG_LEVEL || 'info', { pod: settings.podName });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
  const code = await runOperator(settings, logger, stop.signal);
  process.exit(code);
}

async function main(): Promise<number> {
  if (process.argv[2] === 'operator') return operator();
  let env;
  try {
    env = readCliEnvironment(process.env, process.stderr.isTTY === true && process.stdin.isTTY === true);
  } catch (err) {
    process.stderr.write(`holdfast: ${isHoldfastError(err) ? err.message : String(err)}\n`);
    return 2;
  }
  return runCli(process.argv.slice(2), { env, stdout: process.stdout, stderr: process.stderr, clock: systemClock, logger: silentLogger });
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});
process.exitCode = await main();
