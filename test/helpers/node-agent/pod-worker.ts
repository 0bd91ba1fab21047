/**
 * The life of one pod on the node, as the kubelet's pod worker lives it: check what the
 * agent can run, prepare the volumes (Pending until claims are bound and Secrets exist),
 * run the init containers one by one (native sidecars, `restartPolicy: Always`, keep
 * running beside the rest), then the containers side by side, restarting them per the
 * pod's restart policy, and report every change through `pods/status`.
 *
 * Deletion: once the pod has a deletionTimestamp its processes get SIGTERM, then SIGKILL
 * after the grace period (capped at `MAX_GRACE_SECONDS`), the terminal status is sent, and
 * the pod is deleted with grace period 0 (the kubelet's final delete), guarded by its UID.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { EnvContext } from './container-env.ts';
import type { ContainerRuntime } from './container-process.ts';
import { ContainerRunner, pause } from './container-runner.ts';
import type { RestartPolicy, RunnerContext } from './container-runner.ts';
import { NodeAgentError, isNodeAgentError, isNotFound } from './errors.ts';
import { PodStatusBook } from './pod-status.ts';
import { preparePodVolumes } from './pod-volumes.ts';
import type { CsiVolumes, PreparedVolume } from './pod-volumes.ts';
import { StatusWriter } from './status-writer.ts';
import type { FileVolumeContext } from './volume-files.ts';

export const MAX_GRACE_SECONDS = 3;

export interface PodWorkerDeps {
  readonly core: CoreV1Api;
  readonly runtime: ContainerRuntime;
  readonly env: EnvContext;
  readonly csi: CsiVolumes | undefined;
  readonly repoRoot: string;
  /** Pods' folders go under it, one per UID. */
  readonly podsDir: string;
  readonly requestToken: (pod: V1Pod, projection: Parameters<FileVolumeContext['requestToken']>[0]) => Promise<string>;
  report(message: string): void;
}

function isTerminalPhase(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** What the agent cannot do fails the pod up front, with a message that says so. */
function checkSupported(runtime: ContainerRuntime): void {
  if (runtime.unavailable !== undefined) throw new NodeAgentError('NO_MOUNTS', runtime.unavailable);
}

export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly #deps: PodWorkerDeps;
  readonly #stop = new AbortController();
  readonly #book: PodStatusBook;
  readonly #writer: StatusWriter;
  readonly #init: ContainerRunner[];
  readonly #containers: ContainerRunner[];
  readonly #podDir: string;
  #pod: V1Pod;
  #volumes: ReadonlyMap<string, PreparedVolume> = new Map();
  #run: Promise<void> = Promise.resolve();
  #terminating: Promise<void> | undefined;
  /** Seen already terminal (it ran before this agent started): nothing to run or report. */
  #passive = false;

  constructor(deps: PodWorkerDeps, pod: V1Pod) {
    this.#deps = deps;
    this.#pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.namespace = pod.metadata?.namespace ?? '';
    this.name = pod.metadata?.name ?? '';
    this.#podDir = join(deps.podsDir, this.uid);
    const ctx: RunnerContext = {
      runtime: deps.runtime,
      env: deps.env,
      repoRoot: deps.repoRoot,
      podDir: this.#podDir,
      stop: this.#stop.signal,
      pod: () => this.#pod,
      volumes: () => this.#volumes,
      changed: () => this.#publish(),
    };
    this.#init = (pod.spec?.initContainers ?? []).map((c) => new ContainerRunner(ctx, c, c.restartPolicy === 'Always'));
    this.#containers = (pod.spec?.containers ?? []).map((c) => new ContainerRunner(ctx, c));
    this.#book = new PodStatusBook(pod.spec?.restartPolicy, this.#init.map((r) => r.record), this.#containers.map((r) => r.record));
    this.#writer = new StatusWriter(deps.core, { namespace: this.namespace, name: this.name }, deps.report);
  }

  start(): void {
    if (isTerminalPhase(this.#pod)) {
      this.#passive = true;
      this.#stop.abort();
    } else {
      this.#run = this.#lifecycle().catch((err: unknown) => this.#fail(err));
    }
    this.update(this.#pod);
  }

  /** The watch saw a newer version of the pod. */
  update(pod: V1Pod): void {
    this.#pod = pod;
    if (pod.metadata?.deletionTimestamp) void this.terminate();
  }

  runner(container?: string): ContainerRunner | undefined {
    const all = [...this.#containers, ...this.#init];
    return container === undefined ? this.#containers[0] : all.find((r) => r.container.name === container);
  }

  /** Container name → everything it printed (the runs kept). */
  outputs(): Map<string, string> {
    return new Map([...this.#containers, ...this.#init].map((r) => [r.container.name, r.output()]));
  }

  /** Graceful stop and the final delete; idempotent. */
  terminate(): Promise<void> {
    this.#terminating ??= this.#terminate().catch((err: unknown) => this.#deps.report(`deleting pod ${this.namespace}/${this.name}: ${String(err)}`));
    return this.#terminating;
  }

  /** The pod is gone from the API (or the agent stops): kill everything, drop its files. */
  async dispose(): Promise<void> {
    this.#stop.abort();
    this.#signalAll('SIGKILL');
    await this.#run;
    await rm(this.#podDir, { recursive: true, force: true });
  }

  async #lifecycle(): Promise<void> {
    checkSupported(this.#deps.runtime);
    this.#book.startTime = new Date();
    this.#publish();
    this.#enforceDeadline();
    this.#volumes = await this.#prepareVolumes();
    if (this.#stop.signal.aborted) return;
    this.#book.sandboxReady = true;
    this.#publish();
    const sidecars: Array<Promise<unknown>> = [];
    if (!(await this.#runInit(sidecars))) return;
    this.#book.initialized = true;
    this.#publish();
    const policy = (this.#pod.spec?.restartPolicy ?? 'Always') as RestartPolicy;
    await Promise.all(this.#containers.map((r) => r.runLoop(policy)));
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    for (const sidecar of this.#init) sidecar.signal('SIGTERM');
    const kill = setTimeout(() => this.#signalAll('SIGKILL'), MAX_GRACE_SECONDS * 1000);
    await Promise.all(sidecars);
    clearTimeout(kill);
    this.#publish();
  }

  async #prepareVolumes(): Promise<ReadonlyMap<string, PreparedVolume>> {
    const ctx = {
      pod: this.#pod,
      objects: this.#deps.env.objects,
      node: this.#deps.env.node,
      core: this.#deps.core,
      csi: this.#deps.csi,
      podDir: this.#podDir,
      requestToken: (projection: Parameters<FileVolumeContext['requestToken']>[0]) => this.#deps.requestToken(this.#pod, projection),
    };
    while (!this.#stop.signal.aborted) {
      try {
        return await preparePodVolumes({ ...ctx, pod: this.#pod });
      } catch (err) {
        if (isNodeAgentError(err) && err.code !== 'WAITING') throw err;
        // Anything else (a claim not bound yet, an API hiccup) is retried, as the kubelet's volume manager does.
        const message = err instanceof Error ? err.message : String(err);
        for (const r of [...this.#init, ...this.#containers]) r.record.state = { waiting: { reason: 'ContainerCreating', message } };
        this.#publish();
        await pause(500, this.#stop.signal);
      }
    }
    return new Map();
  }

  /** False when the pod failed (or stopped) in its init containers. */
  async #runInit(sidecars: Array<Promise<unknown>>): Promise<boolean> {
    const never = this.#pod.spec?.restartPolicy === 'Never';
    for (const runner of this.#init) {
      if (runner.record.sidecar) {
        sidecars.push(runner.runLoop('Always'));
        while (!runner.isRunning() && !this.#stop.signal.aborted) await sleep(20);
        continue;
      }
      const last = await runner.runLoop(never ? 'Never' : 'OnFailure');
      if (this.#stop.signal.aborted || last === undefined) return false;
      if (last.exitCode !== 0) {
        this.#book.initFailed = true;
        this.#stop.abort();
        this.#signalAll('SIGTERM');
        this.#publish();
        return false;
      }
    }
    return true;
  }

  /** `activeDeadlineSeconds`: the kubelet kills the pod and fails it with DeadlineExceeded. */
  #enforceDeadline(): void {
    const seconds = this.#pod.spec?.activeDeadlineSeconds;
    if (seconds === undefined) return;
    const timer = setTimeout(() => {
      if (this.#stop.signal.aborted) return;
      this.#book.failure = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
      this.#stop.abort();
      this.#signalAll('SIGTERM');
      setTimeout(() => this.#signalAll('SIGKILL'), MAX_GRACE_SECONDS * 1000).unref();
      this.#publish();
    }, seconds * 1000);
    timer.unref();
    this.#stop.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  #fail(err: unknown): void {
    if (this.#stop.signal.aborted) {
      this.#deps.report(`pod ${this.namespace}/${this.name} stopped with: ${String(err)}`);
      return;
    }
    const reason = isNodeAgentError(err) ? 'NodeAgentUnsupported' : 'NodeAgentError';
    this.#book.failure = { reason, message: err instanceof Error ? err.message : String(err) };
    this.#deps.report(`pod ${this.namespace}/${this.name} failed: ${this.#book.failure.message}`);
    this.#stop.abort();
    this.#signalAll('SIGKILL');
    this.#publish();
  }

  #publish(): void {
    if (this.#passive) return;
    this.#writer.publish(this.#book.patch(this.uid));
  }

  #signalAll(signal: NodeJS.Signals): void {
    for (const r of [...this.#init, ...this.#containers]) r.signal(signal);
  }

  #running(): boolean {
    return [...this.#init, ...this.#containers].some((r) => r.isRunning());
  }

  async #terminate(): Promise<void> {
    const wasTerminal = isTerminalPhase(this.#pod);
    this.#stop.abort();
    if (this.#running()) {
      const meta = this.#pod.metadata;
      const grace = Math.min(meta?.deletionGracePeriodSeconds ?? this.#pod.spec?.terminationGracePeriodSeconds ?? 30, MAX_GRACE_SECONDS);
      this.#signalAll('SIGTERM');
      const deadline = Date.now() + grace * 1000;
      while (this.#running() && Date.now() < deadline) await sleep(50);
      this.#signalAll('SIGKILL');
    }
    await this.#run;
    if (!wasTerminal) {
      this.#book.terminal = true;
      this.#publish();
    }
    await this.#writer.flush();
    try {
      await this.#deps.core.deleteNamespacedPod({ namespace: this.namespace, name: this.name, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } } });
    } catch (err) {
      if (!isNotFound(err) && (err as { code?: number }).code !== 409) throw err;
    }
  }
}
