/**
 * The data-mover Job: one pod running the Holdfast image's `holdfast mover` on one volume
 * mounted at /data — or, for a block move, given as the device /dev/holdfast-volume
 * (`volumeDevices`) — in the operator namespace (where the repository's Secrets are). The
 * repository password and S3 keys reach it as `secretKeyRef` env vars — never as values in
 * the Job — so the Secrets must be in that namespace. A filesystem repository is mounted
 * where the operator sees it (hostPath for `path`, the PVC for `pvc`). Placement and
 * resources come from the Backup's or Restore's `volumes.mover`, the security context from
 * the operator's configuration. The summary is the container's termination message; when
 * the mover fails, the tail of its log is (FallbackToLogsOnError).
 */
import type { MoverSettings } from '../../config/operator-env.ts';
import { HoldfastError } from '../../core/errors.ts';
import type { BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import type { MoverPod } from '../../k8s/api/volumes.ts';
import type { JsonObject } from './cluster.ts';

export const MOUNT_PATH = '/data';
/** Where a block move's volume appears in the mover container (`volumeDevices`). */
export const DEVICE_PATH = '/dev/holdfast-volume';
export const CONTAINER = 'mover';
const REPOSITORY_MOUNT = '/repository';
const TERMINATION_LOG = '/dev/termination-log';
/** The writable scratch folder (home, temporary files, the repository cache): the root filesystem is read-only. */
const SCRATCH = '/scratch';

export interface MoverJobSpec {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The PVC the mover works on, mounted at /data (or the device at /dev/holdfast-volume when `block`). */
  readonly claimName: string;
  /** A block move: the PVC (volumeMode Block) is a device of the container, not a mount. */
  readonly block?: boolean;
  /** Arguments after `holdfast mover`, e.g. `backup-volume --path /data …`. */
  readonly args: readonly string[];
  readonly readOnly: boolean;
  readonly pod: MoverPod | undefined;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

interface RepositoryAccess {
  readonly env: EnvVar[];
  readonly volumes: JsonObject[];
  readonly mounts: JsonObject[];
}

function secretEnv(name: string, ref: { name: string; namespace: string }, key: string, namespace: string): EnvVar {
  if (ref.namespace !== namespace) {
    throw new HoldfastError('CONFIG_INVALID', `mover Jobs run in namespace ${namespace} and read the repository's Secrets there, but Secret ${ref.namespace}/${ref.name} is in another namespace`);
  }
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key } } };
}

/** How a mover pod in `namespace` opens the repository `spec` describes. */
export function repositoryAccess(spec: BackupRepositorySpec, namespace: string): RepositoryAccess {
  const env: EnvVar[] = [secretEnv('HOLDFAST_PASSWORD', spec.encryption.keySecretRef, spec.encryption.keySecretRef.key, namespace)];
  const fs = spec.backend.filesystem;
  if (fs?.pvc !== undefined) {
    const sub = fs.pvc.subPath.replace(/^\/+/, '');
    env.push({ name: 'HOLDFAST_REPOSITORY', value: sub === '' ? REPOSITORY_MOUNT : `${REPOSITORY_MOUNT}/${sub}` });
    return { env, volumes: [{ name: 'repository', persistentVolumeClaim: { claimName: fs.pvc.claimName } }], mounts: [{ name: 'repository', mountPath: REPOSITORY_MOUNT }] };
  }
  if (fs?.path !== undefined) {
    env.push({ name: 'HOLDFAST_REPOSITORY', value: fs.path });
    return { env, volumes: [{ name: 'repository', hostPath: { path: fs.path, type: 'Directory' } }], mounts: [{ name: 'repository', mountPath: fs.path }] };
  }
  const s3 = spec.backend.s3;
  if (s3 === undefined) throw new HoldfastError('CONFIG_INVALID', 'the BackupRepository names no backend');
  const where = [s3.bucket, s3.prefix].filter((p) => p !== '').join('/');
  env.push({ name: 'HOLDFAST_REPOSITORY', value: s3.endpoint ? `s3:${s3.endpoint.replace(/\/$/, '')}/${where}` : `s3:${where}` });
  env.push({ name: 'HOLDFAST_S3_REGION', value: s3.region }, { name: 'HOLDFAST_S3_PATH_STYLE', value: String(s3.forcePathStyle) });
  const creds = s3.credentialsSecretRef;
  if (creds !== undefined) {
    env.push(secretEnv('AWS_ACCESS_KEY_ID', creds, creds.accessKeyIdKey, namespace), secretEnv('AWS_SECRET_ACCESS_KEY', creds, creds.secretAccessKeyKey, namespace));
    if (creds.sessionTokenKey) env.push(secretEnv('AWS_SESSION_TOKEN', creds, creds.sessionTokenKey, namespace));
  }
  if (s3.caBundle !== undefined) throw new HoldfastError('CONFIG_INVALID', 'mover Jobs cannot use a BackupRepository with s3.caBundle yet: trust the CA in the mover image instead');
  return { env, volumes: [], mounts: [] };
}

function placement(pod: MoverPod | undefined): Record<string, unknown> {
  return {
    ...(pod?.nodeSelector ? { nodeSelector: pod.nodeSelector } : {}),
    ...(pod?.tolerations ? { tolerations: pod.tolerations } : {}),
    ...(pod?.priorityClassName ? { priorityClassName: pod.priorityClassName } : {}),
  };
}

export function moverJob(job: MoverJobSpec, access: RepositoryAccess, settings: MoverSettings): JsonObject {
  const container = {
    name: CONTAINER,
    image: settings.image,
    command: ['holdfast', 'mover', ...job.args, '--result-file', TERMINATION_LOG],
    env: [...access.env, { name: 'HOME', value: SCRATCH }, { name: 'TMPDIR', value: SCRATCH }, { name: 'XDG_CACHE_HOME', value: `${SCRATCH}/cache` }],
    ...(job.pod?.resources ? { resources: job.pod.resources } : {}),
    securityContext: settings.securityContext,
    ...(job.block === true ? { volumeDevices: [{ name: 'data', devicePath: DEVICE_PATH }] } : {}),
    volumeMounts: [...(job.block === true ? [] : [{ name: 'data', mountPath: MOUNT_PATH, readOnly: job.readOnly }]), { name: 'scratch', mountPath: SCRATCH }, ...access.mounts],
    terminationMessagePath: TERMINATION_LOG,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: job.name, namespace: job.namespace, labels: { ...job.labels } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { ...job.labels } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...placement(job.pod),
          containers: [container],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: job.claimName, readOnly: job.readOnly } }, { name: 'scratch', emptyDir: {} }, ...access.volumes],
        },
      },
    },
  };
}
