import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { executorContract } from './executor.contract.ts';
import { ActionError } from './executor.ts';
import { LocalCommandExecutor } from './local-command.ts';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

/** A process counts as running until it is reaped or a zombie. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

executorContract('local command', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-exec-'));
  const pids = join(dir, 'pids');
  return {
    succeeding: (output) => new LocalCommandExecutor({ argv: ['printf', '%s', output] }, ENV),
    failing: (detail) => new LocalCommandExecutor({ argv: ['/bin/sh', '-c', 'echo "starting up" >&2; echo "$1" >&2; exit 3', 'sh', detail] }, ENV),
    // The shell and its own child: a timeout or an abort must end the whole process group.
    hanging: (timeoutMs) => new LocalCommandExecutor({ argv: ['/bin/sh', '-c', `sleep 30 & echo $! >> ${pids}; echo $$ >> ${pids}; wait`], timeoutMs }, ENV),
    running: async () => {
      const listed = await readFile(pids, 'utf8').catch(() => '');
      const states = await Promise.all(listed.split('\n').filter(Boolean).map((p) => alive(Number(p))));
      return states.filter(Boolean).length;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('LocalCommandExecutor', () => {
  it('says how a command ended: exit status, or the signal that killed it', async () => {
    for (const c of [
      { argv: ['/bin/sh', '-c', 'exit 7'], line: /^command '\/bin\/sh -c exit 7' exited with status 7$/ },
      { argv: ['/bin/sh', '-c', 'kill -KILL $$'], line: /was killed by SIGKILL$/ },
      { argv: ['/bin/sh', '-c', 'echo "ERROR: relation missing" >&2; echo "HINT: create it" >&2; exit 1'], line: /exited with status 1: ERROR: relation missing$/ },
    ]) {
      await assert.rejects(new LocalCommandExecutor({ argv: c.argv }, ENV).run(), (err: unknown) => {
        assert.ok(err instanceof ActionError);
        assert.match(err.message, c.line);
        return true;
      });
    }
  });

  it('feeds input on stdin, adds env and cwd, and shows `what` instead of the argv', async () => {
    const e = new LocalCommandExecutor({ argv: ['/bin/sh', '-c', 'read x; printf "%s %s %s" "$x" "$SECRET" "$(pwd)"'], input: 'line\n', env: { SECRET: 's3' }, cwd: '/tmp', what: 'the probe' }, ENV);
    assert.equal(e.what, 'the probe');
    assert.equal((await e.run()).stdout, 'line s3 /tmp');
  });

  it('fails with a clear error when the program does not exist', async () => {
    await assert.rejects(new LocalCommandExecutor({ argv: ['/nonexistent/holdfast-tool'] }, ENV).run(), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'ACTION_FAILED'));
      assert.match(err.message, /cannot start command '\/nonexistent\/holdfast-tool': .*ENOENT/);
      return true;
    });
  });

  it('streams: start() hands out stdout and stdin, done settles after they end', async () => {
    const running = new LocalCommandExecutor({ argv: ['tr', 'a-z', 'A-Z'] }, ENV).start();
    running.stdin.end('streamed bytes');
    const chunks: Buffer[] = [];
    for await (const b of running.stdout as AsyncIterable<Buffer>) chunks.push(b);
    assert.equal(Buffer.concat(chunks).toString(), 'STREAMED BYTES');
    assert.equal((await running.done).status, 0);
  });

  it('stop() ends a started action and done rejects with INTERRUPTED', async () => {
    const running = new LocalCommandExecutor({ argv: ['sleep', '30'] }, ENV).start();
    running.stdin.end();
    setTimeout(() => running.stop(), 100);
    await assert.rejects(running.done, (err: unknown) => isHoldfastError(err, 'INTERRUPTED'));
  });

  it('refuses an empty argv', () => {
    assert.throws(() => new LocalCommandExecutor({ argv: [] }, ENV), (err: unknown) => isHoldfastError(err, 'CONFIG_INVALID'));
  });
});
