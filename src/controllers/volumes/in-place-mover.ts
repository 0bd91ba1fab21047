/**
 * Mover Jobs beside a PVC that is refilled in place. A pod mounts only claims of its own
 * namespace, so these Jobs run in the PVC's namespace (not the operator's) and need the
 * repository's credentials there: a copy of just the keys they read, in one Secret owned
 * by the Job (garbage collection deletes it with the Job), named like the Job. The Job is
 * created first, then its Secret; the pod waits for the Secret as it would for any
 * missing one. A filesystem repository on a PVC cannot be reached from another namespace.
 */
import type { MoverSettings } from '../../config/operator-env.ts';
import { HoldfastError } from '../../core/errors.ts';
import type { BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import type { MoverPod } from '../../k8s/api/volumes.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';
import { moverJob, repositoryAccess } from './mover-job.ts';
import type { MoverStatus, MoverSummary } from './mover-output.ts';
import { runMoverJob } from './mover-run.ts';

const secretsPath = (namespace: string): string => `/api/v1/namespaces/${namespace}/secrets`;

interface SecretJson extends JsonObject {
  data?: Record<string, string>;
}

export interface InPlaceJob {
  readonly name: string;
  readonly namespace: string;
  readonly claimName: string;
  readonly labels: Record<string, string>;
  readonly args: readonly string[];
  readonly readOnly: boolean;
  /** A block move: the PVC is the container's device. */
  readonly block?: boolean;
  readonly pod: MoverPod | undefined;
}

export interface InPlaceMoverDeps {
  readonly cluster: VolumeCluster;
  readonly mover: MoverSettings;
  readonly pollMs?: number;
}

interface Copy {
  /** The repository spec with every Secret reference pointed at the copy. */
  readonly spec: BackupRepositorySpec;
  /** Key in the copy → where its value comes from. */
  readonly keys: ReadonlyArray<{ key: string; from: { namespace: string; name: string; key: string } }>;
}

function credentialCopy(spec: BackupRepositorySpec, copy: { namespace: string; name: string }): Copy {
  if (spec.backend.filesystem?.pvc !== undefined) {
    throw new HoldfastError('CONFIG_INVALID', `a restore in place or a backup with method filesystem runs its mover in the PVC's namespace (${copy.namespace}), which cannot mount the repository's PVC ${spec.backend.filesystem.pvc.claimName}; use a repository on S3 or a filesystem path`);
  }
  const enc = spec.encryption.keySecretRef;
  const keys: Copy['keys'][number][] = [{ key: 'password', from: { namespace: enc.namespace, name: enc.name, key: enc.key } }];
  const encryption = { ...spec.encryption, keySecretRef: { ...enc, ...copy, key: 'password' } };
  const creds = spec.backend.s3?.credentialsSecretRef;
  if (spec.backend.s3 === undefined || creds === undefined) return { spec: { ...spec, encryption }, keys };
  const from = (key: string): { namespace: string; name: string; key: string } => ({ namespace: creds.namespace, name: creds.name, key });
  keys.push({ key: 'access-key-id', from: from(creds.accessKeyIdKey) }, { key: 'secret-access-key', from: from(creds.secretAccessKeyKey) });
  if (creds.sessionTokenKey) keys.push({ key: 'session-token', from: from(creds.sessionTokenKey) });
  const credentialsSecretRef = { ...creds, ...copy, accessKeyIdKey: 'access-key-id', secretAccessKeyKey: 'secret-access-key', ...(creds.sessionTokenKey ? { sessionTokenKey: 'session-token' } : {}) };
  return { spec: { ...spec, encryption, backend: { ...spec.backend, s3: { ...spec.backend.s3, credentialsSecretRef } } }, keys };
}

async function secretData(cluster: VolumeCluster, keys: Copy['keys']): Promise<Record<string, string>> {
  const data: Record<string, string> = {};
  for (const { key, from } of keys) {
    const secret = await cluster.get<SecretJson>(secretsPath(from.namespace), from.name);
    const value = secret?.data?.[from.key];
    if (value === undefined) throw new HoldfastError('CONFIG_INVALID', `Secret ${from.namespace}/${from.name} has no key '${from.key}' (named by the BackupRepository)`);
    data[key] = value;
  }
  return data;
}

/**
 * Runs one mover Job in the PVC's namespace to its end (resuming one an earlier run created),
 * then removes it; an operator stopping meanwhile (`interrupted`) leaves it to the next leader.
 */
export async function runInPlaceJob(d: InPlaceMoverDeps, repository: BackupRepositorySpec, job: InPlaceJob, o: { signal: AbortSignal; interrupted: () => boolean; onProgress: (s: MoverStatus) => Promise<void> }): Promise<MoverSummary> {
  const copy = credentialCopy(repository, { namespace: job.namespace, name: job.name });
  const body = moverJob(job, repositoryAccess(copy.spec, job.namespace), d.mover);
  await d.cluster.create(PATHS.jobs(job.namespace), body);
  try {
    await giveCredentials(d.cluster, job, copy);
    return await runMoverJob({ cluster: d.cluster, job: body, signal: o.signal, interrupted: o.interrupted, onProgress: o.onProgress, ...(d.pollMs ? { pollMs: d.pollMs } : {}) });
  } finally {
    if (!o.interrupted()) await d.cluster.remove(PATHS.jobs(job.namespace), job.name);
  }
}

/** The Job's credentials Secret, owned by the Job (also when a Secret of an earlier Job of that name is still there). */
async function giveCredentials(cluster: VolumeCluster, job: InPlaceJob, copy: Copy): Promise<void> {
  const created = await cluster.get(PATHS.jobs(job.namespace), job.name);
  if (created?.metadata?.uid === undefined) throw new HoldfastError('OBJECT_NOT_FOUND', `mover Job ${job.namespace}/${job.name} disappeared`);
  const ownerReferences = [{ apiVersion: 'batch/v1', kind: 'Job', name: job.name, uid: created.metadata.uid }];
  const data = await secretData(cluster, copy.keys);
  const fresh = await cluster.create(secretsPath(job.namespace), {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name: job.name, namespace: job.namespace, labels: job.labels, ownerReferences } as JsonObject['metadata'],
    data,
  });
  if (!fresh) await cluster.mergePatch(secretsPath(job.namespace), job.name, { metadata: { ownerReferences }, data });
}

/** Removes a mover Job (and with it its pod and Secret) that an interrupted run left. */
export async function removeInPlaceJob(cluster: VolumeCluster, namespace: string, name: string): Promise<void> {
  await cluster.remove(PATHS.jobs(namespace), name);
}
