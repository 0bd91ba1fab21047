/** Composition root of the `holdfast` CLI: real clock, environment, streams. */
import { isatty } from 'node:tty';
import { setFlagsFromString } from 'node:v8';
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
    env = readCliEnvironment(process.env, process.stderr.isTTY === true && isatty(0));
  } catch (err) {
    process.stderr.write(`holdfast: ${isHoldfastError(err) ? err.message : String(err)}\n`);
    return 2;
  }
  return runCli(process.argv.slice(2), { env, stdout: process.stdout, stderr: process.stderr, clock: systemClock, logger: silentLogger });
}

// V8 lets the old generation grow to ~4x its live size between full collections; a
// backup's or restore's main thread promotes a steady stream of short-lived objects
// (tree nodes, file pieces), so that became ~100 MB of garbage at the peak. A growth
// factor of 1.5 keeps the heap near its live size for a few percent more CPU.
setFlagsFromString('--heap-growing-percent=50');

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});
process.exitCode = await main();
