/**
 * The volume populator as the operator runs it: its reconciler on a cluster, and its watch
 * — every PVC, of which it keeps only those whose dataSourceRef names a Holdfast Backup
 * (their own key) and its prime PVCs (the key of the PVC they fill).
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { DEFAULT_MOVER_SETTINGS, type MoverSettings } from '../../config/operator-env.ts';
import type { Logger } from '../../core/logger.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import { objectKey, type ResourcePath } from '../../k8s/client/informer-source.ts';
import { kubeVolumeCluster } from '../volumes/cluster.ts';
import { POPULATE_FOR_ANNOTATION } from './prime.ts';
import { VolumePopulatorReconciler } from './reconciler.ts';
import { backupReference } from './source.ts';

export const POPULATOR_KIND = 'VolumePopulator';

export const CLAIMS_RESOURCE: ResourcePath = { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims' };

/** The keys a PVC event concerns. */
export function populatorKeys(obj: KubernetesObject & { spec?: unknown }): string[] {
  const forKey = obj.metadata?.annotations?.[POPULATE_FOR_ANNOTATION];
  if (forKey !== undefined) return [forKey];
  return backupReference(obj as Parameters<typeof backupReference>[0]) === undefined ? [] : [objectKey(obj)];
}

export function volumePopulator(kc: KubeConfig, w: { objects: HoldfastObjects; operatorNamespace: string; logger: Logger; mover?: MoverSettings | undefined }): VolumePopulatorReconciler {
  return new VolumePopulatorReconciler({ ...w, cluster: kubeVolumeCluster(kc), mover: w.mover ?? DEFAULT_MOVER_SETTINGS });
}
