/**
 * The prime PVC of lib-volume-populator: a claim in the operator namespace with the
 * user's PVC's shape (class, access modes, size, volume mode) and no data source, so the
 * storage provisions an empty volume for it; a mover Job fills it there; then the PV is
 * given to the user's PVC by pointing its claimRef at that PVC (uid and resourceVersion
 * included, marked bound-by-controller). The PV controller then binds the user's PVC, and
 * the prime, now Lost, is deleted. The PV never becomes Released on the way (its claimRef
 * always names a claim that exists), so its reclaim policy is never acted on and stays
 * as the storage class set it. The prime and its Job carry a label derived from the
 * user's PVC, so they are found again after a restart and removed once that PVC is bound
 * or gone.
 */
import { createHash } from 'node:crypto';
import { ANNOTATIONS, LABELS, MANAGED_BY_VALUE } from '../../k8s/api/group.ts';
import { isRecord } from '../../k8s/resources/types.ts';
import { PATHS, type JsonObject, type VolumeCluster } from '../volumes/cluster.ts';
import type { ClaimLike } from './source.ts';

/** On a prime PVC and its Job: a digest of `<namespace>/<name>` of the PVC they fill. */
export const POPULATE_LABEL = 'holdfast.dev/populate';
/** On a prime PVC: `<namespace>/<name>` of the PVC it fills (how its events reach that PVC's key). */
export const POPULATE_FOR_ANNOTATION = 'holdfast.dev/populate-for';
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';

export function populateKey(namespace: string, name: string): string {
  return createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 16);
}

export function primeName(claim: ClaimLike): string {
  return `holdfast-prime-${claim.metadata?.uid ?? ''}`;
}

export function primeLabels(namespace: string, name: string): Record<string, string> {
  return { [POPULATE_LABEL]: populateKey(namespace, name), [LABELS.managedBy]: MANAGED_BY_VALUE };
}

const SHAPE_FIELDS = ['accessModes', 'resources', 'storageClassName', 'volumeMode', 'volumeAttributesClassName'] as const;

/** Creates the prime PVC unless it is there. */
export async function ensurePrime(cluster: VolumeCluster, claim: ClaimLike, operatorNamespace: string): Promise<void> {
  const spec = isRecord(claim.spec) ? claim.spec : {};
  const shape: Record<string, unknown> = {};
  for (const f of SHAPE_FIELDS) if (spec[f] !== undefined && spec[f] !== null) shape[f] = spec[f];
  const namespace = claim.metadata?.namespace ?? '';
  const name = claim.metadata?.name ?? '';
  await cluster.create(PATHS.claims(operatorNamespace), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: primeName(claim), namespace: operatorNamespace, labels: primeLabels(namespace, name), annotations: { [POPULATE_FOR_ANNOTATION]: `${namespace}/${name}` } },
    spec: shape,
  });
}

interface PvJson extends JsonObject {
  spec?: { claimRef?: { namespace?: string; name?: string; uid?: string } };
}

/** Whether the PV already names the user's PVC (a rebind made by an earlier run). */
export async function rebound(cluster: VolumeCluster, pv: string, claim: ClaimLike): Promise<boolean> {
  const ref = (await cluster.get<PvJson>(PATHS.volumes(), pv))?.spec?.claimRef;
  return ref?.uid === claim.metadata?.uid && ref?.name === claim.metadata?.name && ref?.namespace === claim.metadata?.namespace;
}

/** Gives the filled PV to the user's PVC. */
export async function rebind(cluster: VolumeCluster, pv: string, claim: ClaimLike, source: string): Promise<void> {
  const m = claim.metadata ?? {};
  await cluster.mergePatch(PATHS.volumes(), pv, {
    metadata: { annotations: { [BOUND_BY_CONTROLLER]: 'yes', [ANNOTATIONS.populatedFor]: `${m.namespace ?? ''}/${m.name ?? ''}`, [ANNOTATIONS.restoredFromVolume]: source } },
    spec: { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion } },
  });
}

/** Removes the prime PVCs and Jobs made for the PVC `namespace/name`. */
export async function removePrime(cluster: VolumeCluster, operatorNamespace: string, namespace: string, name: string): Promise<void> {
  const selector = `${POPULATE_LABEL}=${populateKey(namespace, name)}`;
  for (const job of await cluster.list(PATHS.jobs(operatorNamespace), selector)) await cluster.remove(PATHS.jobs(operatorNamespace), job.metadata?.name ?? '');
  for (const pvc of await cluster.list(PATHS.claims(operatorNamespace), selector)) await cluster.remove(PATHS.claims(operatorNamespace), pvc.metadata?.name ?? '');
}
