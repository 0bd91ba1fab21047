/** A BackupRepository spec and its Secrets, resolved into what the engine opens. */
import type { BackupRepositorySpec } from '../../k8s/api/backup-repository.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import type { RepositoryTarget } from '../ports.ts';

export async function repositoryTarget(spec: BackupRepositorySpec, objects: HoldfastObjects): Promise<RepositoryTarget> {
  const ref = spec.encryption.keySecretRef;
  const password = await objects.secretValue(ref.namespace, ref.name, ref.key);
  const s3 = spec.backend.s3;
  if (s3 === undefined) return { location: spec.backend.filesystem?.path ?? '', password };
  const creds = s3.credentialsSecretRef;
  const secret = (key: string): Promise<string> => objects.secretValue(creds?.namespace ?? '', creds?.name ?? '', key);
  const credentials = creds
    ? { accessKeyId: await secret(creds.accessKeyIdKey), secretAccessKey: await secret(creds.secretAccessKeyKey), sessionToken: creds.sessionTokenKey ? await secret(creds.sessionTokenKey) : undefined }
    : undefined;
  const where = [s3.bucket, s3.prefix].filter((p) => p !== '').join('/');
  return {
    location: s3.endpoint ? `s3:${s3.endpoint.replace(/\/$/, '')}/${where}` : `s3:${where}`,
    password,
    s3: { region: s3.region, pathStyle: s3.forcePathStyle, caBundle: s3.caBundle, credentials, objectLock: s3.objectLock ? { mode: s3.objectLock.mode, days: s3.objectLock.retentionDays } : undefined },
  };
}
