/**
 * Volumes the kubelet fills with files: `secret`, `configMap`, `downwardAPI` and
 * `projected` (the service-account token from the TokenRequest API, the cluster CA from the
 * `kube-root-ca.crt` ConfigMap, the namespace), written once when the pod starts into a
 * folder of the pod. Modes and `items` are honoured; the kubelet's atomic `..data` symlink
 * layout and its periodic refresh (of changed objects, of the token) are not reproduced.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  V1ConfigMapProjection, V1DownwardAPIVolumeFile, V1KeyToPath, V1Pod, V1ProjectedVolumeSource, V1SecretProjection, V1ServiceAccountTokenProjection, V1Volume,
} from '@kubernetes/client-node';
import type { ConfigSource } from './container-env.ts';
import { containerResource, podField } from './downward-api.ts';
import type { NodeResources } from './downward-api.ts';
import { NodeAgentError } from './errors.ts';

export interface VolumeFile {
  readonly path: string;
  readonly content: Buffer;
  readonly mode?: number;
}

export interface FileVolumeContext {
  readonly pod: V1Pod;
  readonly objects: ConfigSource;
  readonly node: NodeResources;
  /** A bound service-account token of the pod (TokenRequest). */
  requestToken(projection: V1ServiceAccountTokenProjection): Promise<string>;
}

const DEFAULT_MODE = 0o644;

interface KeySource {
  readonly kind: 'secret' | 'configmap';
  readonly name?: string;
  readonly items?: readonly V1KeyToPath[];
  readonly optional?: boolean;
}

async function keyFiles(source: KeySource, ctx: FileVolumeContext): Promise<VolumeFile[]> {
  const namespace = ctx.pod.metadata?.namespace ?? '';
  const name = source.name ?? '';
  const data = source.kind === 'secret' ? await ctx.objects.secret(namespace, name) : await ctx.objects.configMap(namespace, name);
  if (data === undefined) {
    if (source.optional) return [];
    throw new NodeAgentError('WAITING', `${source.kind} "${name}" not found (volume of pod ${namespace}/${ctx.pod.metadata?.name ?? ''})`);
  }
  if (source.items === undefined || source.items.length === 0) return Object.entries(data).map(([k, content]) => ({ path: k, content }));
  const files: VolumeFile[] = [];
  for (const item of source.items) {
    const content = data[item.key];
    if (content === undefined) {
      if (source.optional) continue;
      throw new NodeAgentError('WAITING', `${source.kind} ${namespace}/${name} has no key ${item.key}`);
    }
    files.push({ path: item.path, content, mode: item.mode });
  }
  return files;
}

function downwardFiles(items: readonly V1DownwardAPIVolumeFile[] | undefined, ctx: FileVolumeContext): VolumeFile[] {
  return (items ?? []).map((item) => {
    let value = '';
    if (item.fieldRef) value = podField(ctx.pod, item.fieldRef);
    else if (item.resourceFieldRef) {
      const container = ctx.pod.spec?.containers.find((c) => c.name === item.resourceFieldRef?.containerName);
      value = containerResource(container, item.resourceFieldRef, ctx.node);
    }
    return { path: item.path, content: Buffer.from(value), mode: item.mode };
  });
}

async function projectedFiles(source: V1ProjectedVolumeSource, ctx: FileVolumeContext): Promise<VolumeFile[]> {
  const files: VolumeFile[] = [];
  for (const s of source.sources ?? []) {
    if (s.serviceAccountToken) {
      files.push({ path: s.serviceAccountToken.path, content: Buffer.from(await ctx.requestToken(s.serviceAccountToken)) });
    } else if (s.configMap) {
      files.push(...(await keyFiles({ kind: 'configmap', ...(s.configMap as V1ConfigMapProjection) }, ctx)));
    } else if (s.secret) {
      files.push(...(await keyFiles({ kind: 'secret', ...(s.secret as V1SecretProjection) }, ctx)));
    } else if (s.downwardAPI) {
      files.push(...downwardFiles(s.downwardAPI.items, ctx));
    } else {
      throw new NodeAgentError('UNSUPPORTED_POD', `the node agent supports projected sources serviceAccountToken, configMap, secret and downwardAPI only (got ${Object.keys(s).join(', ')})`);
    }
  }
  return files;
}

/** The files of a file-filled volume, or undefined when `volume` is another kind. */
export async function volumeFiles(volume: V1Volume, ctx: FileVolumeContext): Promise<{ files: VolumeFile[]; defaultMode?: number } | undefined> {
  if (volume.secret) {
    const s = volume.secret;
    return { files: await keyFiles({ kind: 'secret', name: s.secretName, items: s.items, optional: s.optional }, ctx), defaultMode: s.defaultMode };
  }
  if (volume.configMap) {
    return { files: await keyFiles({ kind: 'configmap', ...volume.configMap }, ctx), defaultMode: volume.configMap.defaultMode };
  }
  if (volume.downwardAPI) return { files: downwardFiles(volume.downwardAPI.items, ctx), defaultMode: volume.downwardAPI.defaultMode };
  if (volume.projected) return { files: await projectedFiles(volume.projected, ctx), defaultMode: volume.projected.defaultMode };
  return undefined;
}

export async function writeVolumeFiles(dir: string, files: readonly VolumeFile[], defaultMode = DEFAULT_MODE): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    const path = join(dir, file.path);
    if (!path.startsWith(`${dir}/`)) throw new NodeAgentError('UNSUPPORTED_POD', `volume file path ${file.path} leaves the volume`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
    await chmod(path, file.mode ?? defaultMode);
  }
}
