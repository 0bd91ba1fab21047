/**
 * The downward API as the kubelet resolves it, for env vars (`valueFrom.fieldRef`,
 * `resourceFieldRef`) and for `downwardAPI` volume items. Every pod of the agent has the IP
 * 127.0.0.1 (host and pod); resource values come from the container's requests and limits,
 * else from the node's allocatable, as the kubelet does for unset limits.
 */
import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { NodeAgentError } from './errors.ts';

export const POD_IP = '127.0.0.1';

/** What the node offers, also the default of an unset limit. */
export interface NodeResources {
  readonly cpu: string;
  readonly memory: string;
  readonly ephemeralStorage: string;
}

/** `key="value"` lines, sorted, as the kubelet writes labels and annotations. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {}).sort().map((k) => `${k}=${JSON.stringify(map?.[k] ?? '')}`).join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

function fieldOfSubscript(pod: V1Pod, path: string): string | undefined {
  const m = SUBSCRIPT.exec(path);
  if (!m) return undefined;
  const map = m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
  return map?.[m[2] ?? ''] ?? '';
}

export function podField(pod: V1Pod, selector: V1ObjectFieldSelector): string {
  const path = selector.fieldPath;
  const simple: Record<string, () => string | undefined> = {
    'metadata.name': () => pod.metadata?.name,
    'metadata.namespace': () => pod.metadata?.namespace,
    'metadata.uid': () => pod.metadata?.uid,
    'metadata.labels': () => formatMap(pod.metadata?.labels),
    'metadata.annotations': () => formatMap(pod.metadata?.annotations),
    'spec.nodeName': () => pod.spec?.nodeName,
    'spec.serviceAccountName': () => pod.spec?.serviceAccountName,
    'status.hostIP': () => POD_IP,
    'status.hostIPs': () => POD_IP,
    'status.podIP': () => POD_IP,
    'status.podIPs': () => POD_IP,
  };
  const read = simple[path];
  if (read) return read() ?? '';
  const subscript = fieldOfSubscript(pod, path);
  if (subscript !== undefined) return subscript;
  throw new NodeAgentError('UNSUPPORTED_POD', `the node agent cannot resolve the downward API field ${path}`);
}

const SUFFIXES: Record<string, number> = {
  m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
};

/** A Kubernetes quantity (`500m`, `64Mi`, `2`) as a number. */
export function parseQuantity(quantity: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(quantity.trim());
  const factor = m ? SUFFIXES[m[2] ?? ''] : undefined;
  if (!m || factor === undefined) throw new NodeAgentError('UNSUPPORTED_POD', `the node agent cannot read the quantity ${quantity}`);
  return Number(m[1]) * factor;
}

export function containerResource(container: V1Container | undefined, selector: V1ResourceFieldSelector, node: NodeResources): string {
  const [kind, name] = selector.resource.split('.', 2) as [string, string | undefined];
  const set = kind === 'limits' ? container?.resources?.limits : container?.resources?.requests;
  const fromNode: Record<string, string> = { cpu: node.cpu, memory: node.memory, 'ephemeral-storage': node.ephemeralStorage };
  const raw = (name === undefined ? undefined : set?.[name]) ?? fromNode[name ?? ''];
  if (raw === undefined) throw new NodeAgentError('UNSUPPORTED_POD', `the node agent cannot resolve the resource ${selector.resource}`);
  const divisor = parseQuantity(selector.divisor ?? '1');
  return String(Math.ceil(parseQuantity(raw) / divisor));
}
