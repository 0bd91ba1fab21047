/**
 * A container's environment as the kubelet builds it: `envFrom` sources first, then `env`
 * in order (a `value` may refer to earlier variables as `$(NAME)`), then the variables of
 * the `kubernetes` Service, then what a container runtime adds (PATH, HOME, HOSTNAME).
 * Missing Secrets, ConfigMaps or keys that are not optional keep the container waiting
 * (`CreateContainerConfigError`), as on a real node.
 */
import type { V1Container, V1EnvFromSource, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { containerResource, podField } from './downward-api.ts';
import type { NodeResources } from './downward-api.ts';
import { NodeAgentError } from './errors.ts';

/** Reads the data of a Secret or ConfigMap (decoded), undefined when it does not exist. */
export interface ConfigSource {
  secret(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
}

export interface EnvContext {
  readonly objects: ConfigSource;
  readonly node: NodeResources;
  /** Port of the kube-apiserver on 127.0.0.1: the `kubernetes` Service of the pod. */
  readonly apiServerPort: string;
  /** PATH of the agent: what a container's image would set. */
  readonly path: string;
}

/**
 * Kubernetes' `$(VAR)` expansion: `$$` is a literal `$`, `$(NAME)` the variable's value, or
 * left as written when NAME is not defined.
 */
export function expand(input: string, vars: ReadonlyMap<string, string>): string {
  return input.replace(/\$(\$|\(([^)]*)\))/g, (whole, inner: string, name: string | undefined) => {
    if (inner === '$') return '$';
    return name !== undefined && vars.has(name) ? (vars.get(name) ?? '') : whole;
  });
}

function waiting(message: string): NodeAgentError {
  return new NodeAgentError('WAITING', message, { reason: 'CreateContainerConfigError' });
}

async function fromSource(namespace: string, source: V1EnvFromSource, objects: ConfigSource): Promise<Array<[string, string]>> {
  const ref = source.secretRef ?? source.configMapRef;
  const kind = source.secretRef ? 'secret' : 'configmap';
  const name = ref?.name ?? '';
  const data = source.secretRef ? await objects.secret(namespace, name) : await objects.configMap(namespace, name);
  if (data === undefined) {
    if (ref?.optional) return [];
    throw waiting(`${kind} "${name}" not found`);
  }
  // The kubelet skips keys that are not valid variable names (and records an event).
  return Object.entries(data).map(([k, v]): [string, string] => [`${source.prefix ?? ''}${k}`, v.toString()]).filter(([k]) => !k.includes('='));
}

interface KeyRef {
  readonly name?: string;
  readonly key: string;
  readonly optional?: boolean;
}

async function keyValue(kind: 'secret' | 'configmap', namespace: string, ref: KeyRef, objects: ConfigSource): Promise<string | undefined> {
  const name = ref.name ?? '';
  const data = kind === 'secret' ? await objects.secret(namespace, name) : await objects.configMap(namespace, name);
  const value = data?.[ref.key]?.toString();
  if (value !== undefined || ref.optional) return value;
  throw waiting(data === undefined ? `${kind} "${name}" not found` : `couldn't find key ${ref.key} in ${kind} ${namespace}/${name}`);
}

async function varValue(pod: V1Pod, container: V1Container, v: V1EnvVar, ctx: EnvContext): Promise<string | undefined> {
  const namespace = pod.metadata?.namespace ?? '';
  const from = v.valueFrom;
  if (from?.secretKeyRef) return keyValue('secret', namespace, from.secretKeyRef, ctx.objects);
  if (from?.configMapKeyRef) return keyValue('configmap', namespace, from.configMapKeyRef, ctx.objects);
  if (from?.fieldRef) return podField(pod, from.fieldRef);
  if (from?.resourceFieldRef) return containerResource(container, from.resourceFieldRef, ctx.node);
  if (from !== undefined) throw new NodeAgentError('UNSUPPORTED_POD', `the node agent cannot resolve env ${v.name}: only value, secretKeyRef, configMapKeyRef, fieldRef and resourceFieldRef are supported`);
  return undefined;
}

function serviceEnv(port: string): Map<string, string> {
  return new Map([
    ['KUBERNETES_SERVICE_HOST', '127.0.0.1'],
    ['KUBERNETES_SERVICE_PORT', port],
    ['KUBERNETES_SERVICE_PORT_HTTPS', port],
    ['KUBERNETES_PORT', `tcp://127.0.0.1:${port}`],
    [`KUBERNETES_PORT_${port}_TCP`, `tcp://127.0.0.1:${port}`],
  ]);
}

async function declaredEnv(pod: V1Pod, container: V1Container, ctx: EnvContext, services: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const namespace = pod.metadata?.namespace ?? '';
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    for (const [k, v] of await fromSource(namespace, source, ctx.objects)) env.set(k, v);
  }
  for (const v of container.env ?? []) {
    const value = v.valueFrom === undefined ? expand(v.value ?? '', new Map([...services, ...env])) : await varValue(pod, container, v, ctx);
    if (value !== undefined) env.set(v.name, value);
  }
  return env;
}

export async function containerEnv(pod: V1Pod, container: V1Container, ctx: EnvContext): Promise<Map<string, string>> {
  const services = serviceEnv(ctx.apiServerPort);
  const env = await declaredEnv(pod, container, ctx, services);
  const runtime: Array<[string, string]> = [['PATH', ctx.path], ['HOME', '/root'], ['HOSTNAME', pod.spec?.hostname ?? pod.metadata?.name ?? '']];
  for (const [k, v] of [...services, ...runtime]) if (!env.has(k)) env.set(k, v);
  return env;
}
