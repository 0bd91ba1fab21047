/**
 * The Node the agent stands for, registered as a kubelet registers itself: Ready, with
 * the machine's CPUs and memory as capacity, the address 127.0.0.1 (InternalIP only: the
 * apiserver prefers a Hostname address, which would not resolve), the port of the agent's
 * kubelet endpoints, and `declaredFeatures: [ExtendWebSocketsToKubelet]`, as a 1.36
 * kubelet declares it, so that the apiserver hands exec WebSockets straight to the agent
 * instead of translating them to SPDY. It stays healthy for the node lifecycle controller
 * by renewing its Lease in `kube-node-lease` and its Ready condition every 10 s.
 */
import { statfsSync } from 'node:fs';
import { arch, availableParallelism, release, totalmem } from 'node:os';
import { CoordinationV1Api, CoreV1Api, PatchStrategy, V1MicroTime, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, V1Node, V1NodeCondition } from '@kubernetes/client-node';
import type { NodeResources } from './downward-api.ts';
import { POD_IP } from './downward-api.ts';
import { isConflict } from './errors.ts';

const LEASE_NAMESPACE = 'kube-node-lease';
const HEARTBEAT_MS = 10_000;
const KUBELET_VERSION = 'v1.36.3';

export interface NodeRegistration {
  readonly nodeName: string;
  readonly kubeletPort: number;
  /** A folder on the filesystem pods write to, for the ephemeral-storage capacity. */
  readonly dataDir: string;
}

export function nodeResources(dataDir: string): NodeResources {
  const fs = statfsSync(dataDir);
  return {
    cpu: String(availableParallelism()),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    ephemeralStorage: `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`,
  };
}

function conditions(now: Date): V1NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string): V1NodeCondition =>
    ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition('Ready', 'True', 'KubeletReady', 'the holdfast test node agent is posting ready status'),
  ];
}

function nodeBody(reg: NodeRegistration): V1Node {
  const res = nodeResources(reg.dataDir);
  const capacity = { cpu: res.cpu, memory: res.memory, 'ephemeral-storage': res.ephemeralStorage, pods: '110' };
  const architecture = arch() === 'x64' ? 'amd64' : arch();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: reg.nodeName,
      labels: { 'kubernetes.io/hostname': reg.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': architecture },
    },
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: conditions(new Date()),
      addresses: [{ type: 'InternalIP', address: POD_IP }],
      daemonEndpoints: { kubeletEndpoint: { Port: reg.kubeletPort } },
      declaredFeatures: ['ExtendWebSocketsToKubelet'],
      nodeInfo: {
        machineID: 'holdfast-test-node', systemUUID: 'holdfast-test-node', bootID: 'holdfast-test-node',
        kernelVersion: release(), osImage: 'holdfast test node agent', containerRuntimeVersion: 'holdfast-node-agent://1',
        kubeletVersion: KUBELET_VERSION, kubeProxyVersion: '', operatingSystem: 'linux', architecture,
      },
    },
  };
}

async function sendStatus(core: CoreV1Api, body: V1Node): Promise<void> {
  // Status is kept on create, but an existing Node (an earlier agent's) needs its status replaced.
  const { status } = JSON.parse(JSON.stringify(body)) as { status: Record<string, unknown> };
  await core.patchNodeStatus({ name: body.metadata?.name ?? '', body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
}

async function renewLease(coordination: CoordinationV1Api, nodeName: string, nodeUid: string | undefined): Promise<void> {
  const renewTime = new V1MicroTime();
  try {
    await coordination.createNamespacedLease({
      namespace: LEASE_NAMESPACE,
      body: {
        metadata: { name: nodeName, ownerReferences: nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] : undefined },
        spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime },
      },
    });
  } catch (err) {
    if (!isConflict(err)) throw err;
    await coordination.patchNamespacedLease(
      { namespace: LEASE_NAMESPACE, name: nodeName, body: { spec: { holderIdentity: nodeName, renewTime: renewTime.toISOString() } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

export interface NodeHeartbeat {
  stop(): void;
}

/** Creates (or takes over) the Node and keeps it Ready until `stop()`. */
export async function registerNode(kc: KubeConfig, reg: NodeRegistration, report: (message: string) => void): Promise<NodeHeartbeat> {
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const body = nodeBody(reg);
  let uid: string | undefined;
  try {
    uid = (await core.createNode({ body })).metadata?.uid;
  } catch (err) {
    if (!isConflict(err)) throw err;
    uid = (await core.readNode({ name: reg.nodeName })).metadata?.uid;
  }
  await sendStatus(core, body);
  await renewLease(coordination, reg.nodeName, uid);
  const beat = async (): Promise<void> => {
    try {
      await renewLease(coordination, reg.nodeName, uid);
      const now = new Date().toISOString();
      const patch = conditions(new Date()).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message, lastHeartbeatTime: now }));
      await core.patchNodeStatus({ name: reg.nodeName, body: { status: { conditions: patch } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    } catch (err) {
      report(`node heartbeat failed: ${String(err)}`);
    }
  };
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
