/**
 * A node for the test control plane (test/helpers/control-plane.ts): a stand-in for the
 * scheduler, the kubelet and the container runtime, working on real API objects. It
 * registers the Node `holdfast-test-node` and keeps it Ready, binds every pod that has no
 * node to it, runs each pod's containers as local processes (the `holdfast` command is this
 * checkout's CLI) in private mount namespaces where the pod's volumes — CSI volumes of
 * test/helpers/csi.ts, emptyDir, Secrets, ConfigMaps, the service-account token — are
 * bind-mounted where the pod spec says, reports pod status, carries out deletions, and
 * serves the kubelet endpoints the apiserver proxies `pods/log` and `pods/exec` to.
 * docs/test-environment.md says what it reproduces and what it does not.
 *
 * ```ts
 * const plane = await startControlPlane();
 * const csi = await startCsi(plane);
 * const agent = await startNodeAgent(plane, { csi });
 * // … Jobs, Deployments, pods run; exec and logs work through the apiserver …
 * await agent.stop();   // before csi.stop() and plane.stop()
 * ```
 *
 * Needs root (mount namespaces). Diagnostics of the agent itself go to
 * `<plane.dir>/node-agent/agent.log`.
 */
import { appendFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';
import type { CsiHostPath } from './csi.ts';
import { apiConfigSource } from './node-agent/config-objects.ts';
import { startContainerRuntime } from './node-agent/container-process.ts';
import { startKubeletServer } from './node-agent/kubelet-server.ts';
import { nodeResources, registerNode } from './node-agent/node-object.ts';
import { PodManager } from './node-agent/pod-manager.ts';

export const NODE_NAME = 'holdfast-test-node';

export interface NodeAgent {
  readonly nodeName: string;
  /** Kills the container's process (the agent restarts it per restartPolicy, counting restartCount). */
  killContainer(namespace: string, pod: string, container?: string): Promise<void>;
  /** Captured output of a container (stdout+stderr), for test diagnostics. */
  logs(namespace: string, pod: string, container?: string): string;
  /** Kills every process, stops the servers; call before csi.stop()/plane.stop(). */
  stop(): Promise<void>;
}

export interface NodeAgentOptions {
  /** The CSI storage whose volumes pods mount; without it, pods with CSI-backed claims fail. */
  readonly csi?: CsiHostPath;
  /** The checkout whose `src/bin/holdfast.ts` the `holdfast` command runs; this one by default. */
  readonly repoRoot?: string;
}

export async function startNodeAgent(plane: ControlPlane, opts: NodeAgentOptions = {}): Promise<NodeAgent> {
  const dir = join(plane.dir, 'node-agent');
  const podsDir = join(dir, 'pods');
  await mkdir(podsDir, { recursive: true });
  const logPath = join(dir, 'agent.log');
  let closed = false;
  // Never throws: a pod worker still finishing when the cluster's folder is removed (its
  // log with it) must not turn a report into an unhandled rejection.
  const report = (message: string): void => {
    if (closed) return;
    try {
      appendFileSync(logPath, `${new Date().toISOString()} ${message}\n`);
    } catch {
      // the agent's folder is gone
    }
  };
  const kc = plane.kubeConfig();
  const runtime = startContainerRuntime(dir);
  if (runtime.unavailable !== undefined) report(`pods will fail: ${runtime.unavailable}`);
  const manager = new PodManager(kc, NODE_NAME, {
    runtime,
    env: { objects: apiConfigSource(kc.makeApiClient(CoreV1Api)), node: nodeResources(dir), apiServerPort: new URL(plane.server).port, path: process.env.PATH ?? '/usr/bin:/bin' },
    csi: opts.csi,
    repoRoot: opts.repoRoot ?? fileURLToPath(new URL('../..', import.meta.url)),
    podsDir,
    report,
  });
  const server = await startKubeletServer(dir, NODE_NAME, (ns, pod, container) => manager.find(ns, pod)?.runner(container));
  let heartbeat: { stop(): void } | undefined;
  const stop = async (): Promise<void> => {
    heartbeat?.stop();
    await manager.stop();
    await server.close();
    closed = true;
  };
  try {
    heartbeat = await registerNode(kc, { nodeName: NODE_NAME, kubeletPort: server.port, dataDir: dir }, report);
    await manager.start();
  } catch (err) {
    await stop();
    throw new Error(`starting the node agent of control plane ${plane.name} failed`, { cause: err });
  }
  let stopped: Promise<void> | undefined;
  return {
    nodeName: NODE_NAME,
    killContainer: async (namespace, pod, container) => {
      const runner = manager.find(namespace, pod)?.runner(container);
      if (runner === undefined || !runner.isRunning()) throw new Error(`no running container ${container ?? '(default)'} in pod ${namespace}/${pod} on ${NODE_NAME}`);
      const exited = runner.exited();
      runner.signal('SIGKILL');
      await exited;
    },
    logs: (namespace, pod, container) => manager.output(namespace, pod, container),
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
