/**
 * One container of a pod, across its restarts: resolves its environment, command and
 * mounts (waiting, as the kubelet does, while a Secret or ConfigMap is missing), runs it,
 * records its state for the pod's status, and restarts it per the restart policy with a
 * short back-off (100 ms doubling to 5 s; the kubelet's starts at 10 s, too slow for tests).
 *
 * The termination message is a file of the container bind-mounted at
 * `terminationMessagePath` (default /dev/termination-log); on the host that path is an
 * empty file made as the mount point. `FallbackToLogsOnError` takes the end of the output.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { resolveCommand, withHoldfastCli } from './container-command.ts';
import { containerEnv } from './container-env.ts';
import type { EnvContext } from './container-env.ts';
import { ContainerLog } from './container-log.ts';
import type { ContainerRuntime, LaunchSpec, ProcessExit, RunningProcess } from './container-process.ts';
import { NodeAgentError, isNodeAgentError } from './errors.ts';
import { newContainerRecord } from './pod-status.ts';
import type { ContainerRecord, Terminated } from './pod-status.ts';
import { containerMounts } from './pod-volumes.ts';
import type { PreparedVolume } from './pod-volumes.ts';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface RunnerContext {
  readonly runtime: ContainerRuntime;
  readonly env: EnvContext;
  readonly repoRoot: string;
  /** The pod's folder on the node; the container's files go in `containers/<name>/`. */
  readonly podDir: string;
  /** Aborted when the pod stops: no more starts or restarts. */
  readonly stop: AbortSignal;
  pod(): V1Pod;
  volumes(): ReadonlyMap<string, PreparedVolume>;
  /** The container's state changed: the pod's status is due. */
  changed(): void;
}

const MESSAGE_MAX_BYTES = 4096;
const KEPT_RUNS = 5;

/** Resolves after `ms`, or at once when `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted
  }
}

export class ContainerRunner {
  readonly container: V1Container;
  readonly record: ContainerRecord;
  readonly #ctx: RunnerContext;
  readonly #runs: ContainerLog[] = [];
  readonly #messageFile: string;
  #process: RunningProcess | undefined;
  #spec: LaunchSpec | undefined;
  readonly #execs = new Set<RunningProcess>();

  constructor(ctx: RunnerContext, container: V1Container, sidecar = false) {
    this.#ctx = ctx;
    this.container = container;
    this.record = newContainerRecord(container.name, container.image, sidecar);
    this.#messageFile = join(ctx.podDir, 'containers', container.name, 'termination-log');
  }

  /** Output of the runs kept (the last five), oldest first. */
  output(): string {
    return this.#runs.map((r) => r.text()).join('');
  }

  /** The current (or last) run's log, or the one before it. */
  log(previous = false): ContainerLog | undefined {
    return this.#runs.at(previous ? -2 : -1);
  }

  isRunning(): boolean {
    return this.#process !== undefined;
  }

  signal(signal: NodeJS.Signals): void {
    this.#process?.signal(signal);
  }

  /** Resolves when the current run ends (at once when none runs). */
  async exited(): Promise<void> {
    await this.#process?.exited;
  }

  /**
   * Runs `argv` as an exec in this container: its environment, mounts and working
   * directory; the process dies with the container's run, as exec'd processes do.
   */
  exec(argv: readonly string[], stdin: boolean): RunningProcess {
    const spec = this.#spec;
    if (this.#process === undefined || spec === undefined) {
      throw new NodeAgentError('CONTAINER_NOT_FOUND', `container ${this.container.name} is not running`);
    }
    // Unlike command and args, an exec's command is taken as given: no $(VAR) expansion.
    const proc = this.#ctx.runtime.launch({ ...spec, argv: withHoldfastCli(argv, this.#ctx.repoRoot), stdin });
    this.#execs.add(proc);
    void proc.exited.then(() => this.#execs.delete(proc));
    return proc;
  }

  /** Runs and restarts the container per `policy`; resolves with its last termination. */
  async runLoop(policy: RestartPolicy): Promise<Terminated | undefined> {
    let backoff = 100;
    for (;;) {
      const startedAt = Date.now();
      const terminated = await this.runOnce();
      if (terminated === undefined || this.#ctx.stop.aborted) return terminated;
      if (policy === 'Never' || (policy === 'OnFailure' && terminated.exitCode === 0)) return terminated;
      backoff = Date.now() - startedAt > 10_000 ? 100 : backoff;
      this.record.lastState = terminated;
      this.record.restartCount++;
      const pod = this.#ctx.pod().metadata?.name ?? '';
      this.record.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${backoff}ms restarting failed container=${this.container.name} pod=${pod}` } };
      this.#ctx.changed();
      await pause(backoff, this.#ctx.stop);
      backoff = Math.min(backoff * 2, 5000);
    }
  }

  /** One run; undefined when the pod stopped before the container could start. */
  async runOnce(): Promise<Terminated | undefined> {
    const spec = await this.#prepare();
    if (spec === undefined || this.#ctx.stop.aborted) return undefined;
    const log = new ContainerLog();
    this.#runs.push(log);
    if (this.#runs.length > KEPT_RUNS) this.#runs.shift();
    const startedAt = new Date();
    const containerID = `holdfast-node-agent://${this.#ctx.pod().metadata?.uid ?? ''}/${this.container.name}/${this.record.restartCount}`;
    const proc = this.#ctx.runtime.launch(spec);
    this.#process = proc;
    this.#spec = spec;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => log.append('stdout', chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => log.append('stderr', chunk));
    if (await proc.started) {
      this.record.containerID = containerID;
      this.record.state = { running: { startedAt } };
      this.#ctx.changed();
    }
    const exit = await proc.exited;
    this.#process = undefined;
    for (const execed of this.#execs) execed.signal('SIGKILL');
    log.end();
    const terminated = await this.#terminated(exit, { startedAt, containerID, log });
    this.record.state = { terminated };
    this.#ctx.changed();
    return terminated;
  }

  async #prepare(): Promise<LaunchSpec | undefined> {
    const c = this.container;
    while (!this.#ctx.stop.aborted) {
      try {
        const env = await containerEnv(this.#ctx.pod(), c, this.#ctx.env);
        const command = resolveCommand(c, env, this.#ctx.repoRoot);
        const mounts = await containerMounts(c, this.#ctx.volumes(), env);
        await mkdir(join(this.#messageFile, '..'), { recursive: true });
        await writeFile(this.#messageFile, '');
        mounts.push({ source: this.#messageFile, target: c.terminationMessagePath ?? '/dev/termination-log', readOnly: false, file: true });
        const pod = this.#ctx.pod();
        const hostname = pod.spec?.hostname ?? pod.metadata?.name ?? '';
        return { argv: command.argv, env, workingDir: c.workingDir ?? command.defaultWorkingDir, mounts, hostname };
      } catch (err) {
        if (isNodeAgentError(err) && err.code !== 'WAITING') throw err;
        // A missing Secret or key, or an API hiccup: retried, as the kubelet retries.
        const reason = isNodeAgentError(err) ? err.reason : 'CreateContainerConfigError';
        this.record.state = { waiting: { reason, message: err instanceof Error ? err.message : String(err) } };
        this.#ctx.changed();
        await pause(1000, this.#ctx.stop);
      }
    }
    return undefined;
  }

  async #terminated(exit: ProcessExit, run: { startedAt: Date; containerID: string; log: ContainerLog }): Promise<Terminated> {
    const base = { startedAt: run.startedAt, finishedAt: new Date(), containerID: run.containerID };
    if (exit.startError !== undefined) return { ...base, exitCode: exit.exitCode, reason: 'StartError', message: exit.startError };
    let message = (await readFile(this.#messageFile).catch(() => Buffer.alloc(0))).subarray(0, MESSAGE_MAX_BYTES).toString();
    if (message === '' && exit.exitCode !== 0 && this.container.terminationMessagePolicy === 'FallbackToLogsOnError') {
      message = run.log.tailForMessage();
    }
    return {
      ...base,
      exitCode: exit.exitCode,
      signal: exit.signal,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      message: message === '' ? undefined : message,
    };
  }
}
