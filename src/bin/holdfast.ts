/** Composition root of the `holdfast` CLI: real clock, environment, streams. */
import { systemClock } from '../core/clock.ts';
import { silentLogger } from '../core/logger.ts';
import { readCliEnvironment } from '../config/cli-env.ts';
import { runCli } from '../cli/main.ts';
import { isHoldfastError } from '../core/errors.ts';

async function main(): Promise<number> {
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
