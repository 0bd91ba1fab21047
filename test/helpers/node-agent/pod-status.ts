/**
 * A pod's status as the kubelet's status manager reports it: the phase worked out from the
 * containers' states the way the kubelet's `getPhase` does, the conditions the kubelet owns
 * (PodReadyToStartContainers, Initialized, ContainersReady, Ready, and PodScheduled), the
 * IPs (127.0.0.1: every pod shares the machine's network), and one ContainerStatus per
 * container. `patch()` is the body of a strategic-merge patch of `pods/status`, guarded by
 * the pod's UID as the kubelet's is.
 */
import { POD_IP } from './downward-api.ts';

export interface Terminated {
  readonly exitCode: number;
  readonly signal?: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly containerID: string;
}

export type ContainerState =
  | { readonly waiting: { readonly reason: string; readonly message?: string } }
  | { readonly running: { readonly startedAt: Date } }
  | { readonly terminated: Terminated };

export interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  state: ContainerState;
  lastState?: Terminated;
  restartCount: number;
  containerID?: string;
  /** An init container with `restartPolicy: Always` (a native sidecar): it runs beside the containers. */
  readonly sidecar: boolean;
}

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export function newContainerRecord(name: string, image: string | undefined, sidecar = false): ContainerRecord {
  return { name, image: image ?? '', state: { waiting: { reason: 'ContainerCreating' } }, restartCount: 0, sidecar };
}

function time(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stateJson(state: ContainerState | undefined): Record<string, unknown> {
  if (state === undefined) return {};
  if ('waiting' in state) return { waiting: state.waiting };
  if ('running' in state) return { running: { startedAt: time(state.running.startedAt) } };
  const t = state.terminated;
  return {
    terminated: {
      exitCode: t.exitCode, signal: t.signal, reason: t.reason, message: t.message,
      startedAt: time(t.startedAt), finishedAt: time(t.finishedAt), containerID: t.containerID,
    },
  };
}

function isRunning(c: ContainerRecord): boolean {
  return 'running' in c.state;
}

function containerJson(c: ContainerRecord): Record<string, unknown> {
  return {
    name: c.name,
    image: c.image,
    imageID: '',
    containerID: c.containerID,
    ready: isRunning(c),
    started: isRunning(c),
    restartCount: c.restartCount,
    state: stateJson(c.state),
    lastState: stateJson(c.lastState === undefined ? undefined : { terminated: c.lastState }),
  };
}

/** The kubelet's counts: a container waiting to restart counts as stopped. */
function countStates(containers: readonly ContainerRecord[]): { waiting: number; running: number; stopped: number; succeeded: number } {
  const n = { waiting: 0, running: 0, stopped: 0, succeeded: 0 };
  for (const c of containers) {
    if ('running' in c.state) n.running++;
    else if ('terminated' in c.state) {
      n.stopped++;
      if (c.state.terminated.exitCode === 0) n.succeeded++;
    } else if (c.lastState !== undefined) n.stopped++;
    else n.waiting++;
  }
  return n;
}

export class PodStatusBook {
  readonly init: ContainerRecord[];
  readonly containers: ContainerRecord[];
  readonly #restartPolicy: string;
  readonly #transitions = new Map<string, { status: string; at: Date }>();
  sandboxReady = false;
  initialized = false;
  /** The pod is being deleted, or is over: its phase must be terminal. */
  terminal = false;
  startTime: Date | undefined;
  /** The agent could not run the pod: a pod-level reason and message, as for an evicted pod. */
  failure: { reason: string; message: string } | undefined;
  /** An init container failed under `restartPolicy: Never`. */
  initFailed = false;

  constructor(restartPolicy: string | undefined, init: ContainerRecord[], containers: ContainerRecord[]) {
    this.#restartPolicy = restartPolicy ?? 'Always';
    this.init = init;
    this.containers = containers;
  }

  phase(): Phase {
    if (this.failure !== undefined || this.initFailed) return 'Failed';
    const n = countStates(this.containers);
    if (!this.terminal) {
      if (!this.initialized || n.waiting > 0) return 'Pending';
      if (n.running > 0) return 'Running';
    }
    let ended: Phase = 'Running';
    if (n.stopped === this.containers.length && n.stopped === n.succeeded) ended = 'Succeeded';
    else if (this.terminal || this.#restartPolicy === 'Never') ended = 'Failed';
    // A pod is over only once its sidecars are stopped too.
    return this.init.some((c) => c.sidecar && isRunning(c)) ? 'Running' : ended;
  }

  #condition(type: string, ok: boolean, reason?: string): Record<string, unknown> {
    const status = ok ? 'True' : 'False';
    const last = this.#transitions.get(type);
    const at = last?.status === status ? last.at : new Date();
    this.#transitions.set(type, { status, at });
    return { type, status, reason: reason ?? null, message: null, lastProbeTime: null, lastTransitionTime: time(at) };
  }

  #conditions(phase: Phase): Array<Record<string, unknown>> {
    const done = phase === 'Succeeded' || phase === 'Failed';
    const ready = !done && this.containers.every(isRunning) && this.init.filter((c) => c.sidecar).every(isRunning);
    const notReadyReason = done ? 'PodCompleted' : 'ContainersNotReady';
    return [
      this.#condition('PodReadyToStartContainers', this.sandboxReady && !done),
      this.#condition('Initialized', this.initialized, this.initialized ? undefined : 'ContainersNotInitialized'),
      this.#condition('ContainersReady', ready, ready ? undefined : notReadyReason),
      this.#condition('Ready', ready, ready ? undefined : notReadyReason),
      this.#condition('PodScheduled', true),
    ];
  }

  /** The patch body for `pods/status`. */
  patch(uid: string): Record<string, unknown> {
    const phase = this.phase();
    return {
      metadata: { uid },
      status: {
        phase,
        reason: this.failure?.reason ?? null,
        message: this.failure?.message ?? null,
        conditions: this.#conditions(phase),
        hostIP: POD_IP,
        hostIPs: [{ ip: POD_IP }],
        podIP: POD_IP,
        podIPs: [{ ip: POD_IP }],
        startTime: this.startTime === undefined ? undefined : time(this.startTime),
        initContainerStatuses: this.init.length === 0 ? undefined : this.init.map(containerJson),
        containerStatuses: this.containers.map(containerJson),
      },
    };
  }
}
