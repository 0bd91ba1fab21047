/**
 * The pod-exec executor (src/controllers/actions/pod-exec.ts) on a real control plane:
 * the exec subresource through the apiserver to the test node agent, which runs the
 * command as a process of the pod's container. It passes the executor contract suite
 * (output, failure naming the action, timeout and abort ending the process), and
 * streams: stdin in, stdout out, many MiB both ways with every byte kept.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { executorContract } from '#src/consistency/executors/executor.contract.ts';
import { isHoldfastError } from '#src/core/errors.ts';
import { clientNodeTransport, PodExecError, PodExecExecutor, type ExecTransport, type PodTarget } from '#src/controllers/actions/pod-exec.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { startNodeAgent, type NodeAgent } from '../helpers/node-agent.ts';

const NS = 'exec';
const TARGET: PodTarget = { namespace: NS, pod: 'runner', container: 'main' };

let cp: ControlPlane;
let agent: NodeAgent;
let transport: ExecTransport;
let dir: string;

async function startWorld(): Promise<void> {
  [cp, dir] = await Promise.all([startControlPlane({ name: 'pod-exec' }), mkdtemp(join(tmpdir(), 'holdfast-pod-exec-'))]);
  agent = await startNodeAgent(cp);
  const kc: KubeConfig = cp.kubeConfig();
  transport = clientNodeTransport(kc);
  await cp.createNamespace(NS);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace: NS,
    body: { metadata: { name: TARGET.pod }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: TARGET.container, image: 'debian', command: ['sleep', '36000'], env: [{ name: 'GREETING', value: 'from the container' }] }] } },
  });
  await eventually('the runner pod to run', async () => ((await core.readNamespacedPod({ namespace: NS, name: TARGET.pod })).status?.phase === 'Running' ? true : undefined));
}

/** A process counts as running until it is reaped or a zombie (the agent's processes share this pid namespace). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function exec(command: readonly string[], opts: { timeoutMs?: number; input?: string; target?: PodTarget } = {}): PodExecExecutor {
  return new PodExecExecutor({ target: opts.target ?? TARGET, command, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.input !== undefined ? { input: opts.input } : {}) }, transport);
}

before(startWorld);

after(async () => {
  await agent?.stop();
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

executorContract('pod exec (apiserver → node agent)', async () => {
  const pids = join(dir, 'pids');
  return {
    succeeding: (output) => exec(['printf', '%s', output]),
    failing: (detail) => exec(['sh', '-c', 'echo "starting up" >&2; echo "$1" >&2; exit 3', 'sh', detail]),
    // The shell and its own child: ending the session must end both.
    hanging: (timeoutMs) => exec(['sh', '-c', `sleep 30 & echo $! >> ${pids}; echo $$ >> ${pids}; wait`], { timeoutMs }),
    running: async () => {
      const listed = await readFile(pids, 'utf8').catch(() => '');
      const states = await Promise.all(listed.split('\n').filter(Boolean).map((p) => alive(Number(p))));
      return states.filter(Boolean).length;
    },
    cleanup: async () => undefined,
  };
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const b of stream as AsyncIterable<Buffer>) chunks.push(b);
  return Buffer.concat(chunks);
}

describe('PodExecExecutor on the real exec subresource', () => {
  it("runs in the container's environment and keeps the exit code of a failure", async () => {
    assert.equal((await exec(['sh', '-c', 'printf %s "$GREETING"']).run()).stdout, 'from the container');
    await assert.rejects(exec(['sh', '-c', 'echo "ERROR: relation missing" >&2; echo "HINT: create it" >&2; exit 7']).run(), (err: unknown) => {
      assert.ok(err instanceof PodExecError);
      assert.equal(err.exitCode, 7);
      assert.match(err.message, /exited with status 7: ERROR: relation missing$/);
      assert.match(err.stderr, /HINT: create it/);
      return true;
    });
  });

  it('feeds `input` on stdin and closes it (v5 protocol), so the command sees the end', async () => {
    assert.equal((await exec(['sh', '-c', 'wc -l'], { input: 'a\nb\nc\n' }).run()).stdout.trim(), '3');
  });

  it('streams: start() hands out stdin and stdout, done settles after both ended', async () => {
    const running = exec(['tr', 'a-z', 'A-Z']).start();
    const out = collect(running.stdout);
    running.stdin.end('streamed bytes');
    assert.equal((await out).toString(), 'STREAMED BYTES');
    assert.equal((await running.done).status, 0);
  });

  it('moves 24 MiB each way through one session with every byte kept', async () => {
    const size = 24 << 20;
    const block = Buffer.alloc(1 << 20);
    const running = exec(['sh', '-c', 'sha256sum >&2; exec head -c "$1" /dev/zero', 'sh', String(size)]).start();
    const out = collect(running.stdout);
    const sent = createHash('sha256');
    // Written as fast as the executor accepts: its stdin waits on the socket's buffer.
    let waits = 0;
    for (let i = 0; i < 24; i++) {
      block.fill(i);
      sent.update(block);
      if (!running.stdin.write(Buffer.from(block))) {
        waits++;
        await new Promise((r) => running.stdin.once('drain', r));
      }
    }
    running.stdin.end();
    const got = await out;
    const result = await running.done;
    assert.equal(got.length, size);
    assert.ok(got.every((b) => b === 0));
    assert.equal(result.stderr.split(' ')[0], sent.digest('hex'), 'the command read exactly what was written');
    process.stdout.write(`# 24 MiB in and out; the writer waited for the socket ${waits} times\n`);
  });

  it('stop() on a started action ends it with INTERRUPTED', async () => {
    const running = exec(['sleep', '30']).start();
    running.stdin.end();
    setTimeout(() => running.stop(), 300);
    await assert.rejects(running.done, (err: unknown) => isHoldfastError(err, 'INTERRUPTED'));
  });

  it('a pod that does not exist fails with ACTION_FAILED naming it', async () => {
    await assert.rejects(exec(['true'], { target: { namespace: NS, pod: 'nobody', container: 'main' } }).run(), (err: unknown) => {
      assert.ok(isHoldfastError(err, 'ACTION_FAILED'));
      assert.match(err.message, /cannot exec in exec\/nobody\/main/);
      return true;
    });
  });
});
