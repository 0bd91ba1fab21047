/**
 * Which PVCs a backup takes: the bound claims of its namespaces that match
 * `volumes.claimSelector` and are not in `volumes.excludedClaims`, each with what a
 * restore needs to recreate it (size, access modes, volume mode, class, CSI driver).
 * A claim planned by an earlier run of the same Backup keeps its progress.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { BackupVolumeStatus } from '../../k8s/api/backup.ts';
import type { BackupVolumes } from '../../k8s/api/volumes.ts';
import { labelSelectorQuery } from '../../k8s/resources/filters.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';

export interface ClaimJson extends JsonObject {
  spec?: { volumeName?: string; storageClassName?: string; accessModes?: string[]; volumeMode?: string; resources?: { requests?: Record<string, string> }; selector?: unknown; dataSource?: unknown };
  status?: { phase?: string; capacity?: Record<string, string> };
}

interface VolumeJson extends JsonObject {
  spec?: { csi?: { driver?: string; volumeHandle?: string }; capacity?: Record<string, string> };
}

type Method = BackupVolumeStatus['method'];

export async function planVolumes(cluster: VolumeCluster, o: { namespaces: readonly string[]; volumes: BackupVolumes | undefined; method: Method; previous: readonly BackupVolumeStatus[] }): Promise<BackupVolumeStatus[]> {
  const excluded = new Set(o.volumes?.excludedClaims ?? []);
  const selector = labelSelectorQuery(o.volumes?.claimSelector);
  const planned: BackupVolumeStatus[] = [];
  for (const namespace of o.namespaces) {
    const claims = await cluster.list<ClaimJson>(PATHS.claims(namespace), selector);
    for (const claim of claims.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
      const name = claim.metadata?.name ?? '';
      if (excluded.has(name) || claim.metadata?.deletionTimestamp) continue;
      const before = o.previous.find((v) => v.namespace === namespace && v.claimName === name);
      planned.push(before ?? (await describeClaim(cluster, namespace, claim, o.method)));
    }
  }
  return planned;
}

async function describeClaim(cluster: VolumeCluster, namespace: string, claim: ClaimJson, method: Method): Promise<BackupVolumeStatus> {
  const name = claim.metadata?.name ?? '';
  const spec = claim.spec ?? {};
  const status = claim.status ?? {};
  if (status.phase !== 'Bound' || !spec.volumeName) {
    throw new HoldfastError('CONFIG_INVALID', `PVC ${namespace}/${name} is not bound to a volume (phase ${status.phase ?? 'unknown'}); exclude it with spec.volumes.excludedClaims or wait until it binds`);
  }
  const pv = await cluster.get<VolumeJson>(PATHS.volumes(), spec.volumeName);
  const driver = pv?.spec?.csi?.driver;
  if (driver === undefined && method !== 'filesystem') throw new HoldfastError('CONFIG_INVALID', `PVC ${namespace}/${name} is not a CSI volume: method ${method} needs CSI snapshots`);
  return { namespace, claimName: name, method, phase: 'Pending', ...(driver !== undefined ? { driver } : {}), ...claimFacts(claim, pv) };
}

function claimFacts(claim: ClaimJson, pv: VolumeJson | undefined): Pick<BackupVolumeStatus, 'volumeMode' | 'accessModes' | 'storageClassName' | 'capacity'> {
  const spec = claim.spec ?? {};
  const capacity = claim.status?.capacity?.storage ?? pv?.spec?.capacity?.storage;
  return {
    volumeMode: spec.volumeMode === 'Block' ? 'Block' : 'Filesystem',
    accessModes: spec.accessModes ?? [],
    ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
    ...(capacity ? { capacity } : {}),
  };
}
