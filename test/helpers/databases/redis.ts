/**
 * A throwaway Redis server on 127.0.0.1 and a free port, its RDB in a temp dir, with
 * `enable-debug-command local` so an RDB can be loaded with DEBUG RELOAD NOSAVE.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, waitFor } from './process.ts';

export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  url(password?: string): string;
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startRedis(password?: string): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-test-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--enable-debug-command', 'local', '--daemonize', 'no', ...(password ? ['--requirepass', password] : []),
  ], { stdio: 'ignore' });
  const env: Record<string, string> = password ? { REDISCLI_AUTH: password } : {};
  const cli = (...args: string[]): Promise<string> => run(['redis-cli', '--no-auth-warning', '-h', '127.0.0.1', '-p', String(port), ...args], { env });
  await waitFor('redis-server', async () => {
    if ((await cli('PING')).trim() !== 'PONG') throw new Error('no PONG');
  });
  return {
    port, dir, cli,
    url: (pw = password) => `redis://${pw !== undefined ? `:${encodeURIComponent(pw)}@` : ''}127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
