/**
 * The operator's reconcilers wired to the engine and the cluster, and a controller per
 * kind watching its resource: shared by `holdfast operator` and the operator's tests.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { BackupRepositoryReconciler } from '../controllers/backup-repository/reconciler.ts';
import { BackupReconciler } from '../controllers/backup/reconciler.ts';
import { BackupPolicyReconciler } from '../controllers/policy/reconciler.ts';
import { clusterPolicy } from '../controllers/policy/policy-kinds.ts';
import { operatorConsistencyStages } from '../controllers/consistency/operator-stages.ts';
import { HoldfastError } from '../core/errors.ts';
import { RestoreReconciler } from '../controllers/restore/reconciler.ts';
import { Controller, type ControllerOptions, type Reconciler } from '../controllers/runtime/controller.ts';
import { GROUP, VERSION } from '../k8s/api/group.ts';
import { HoldfastObjects } from '../k8s/client/custom-objects.ts';
import { InformerSource } from '../k8s/client/informer-source.ts';
import { captureResources } from '../k8s/resources/capture.ts';
import { restoreResources } from '../k8s/resources/restore.ts';
import { EngineRepositories } from './engine-repositories.ts';
import { backupVolumeStage, restoreVolumeStage } from '../controllers/volumes/stages.ts';
import type { MoverSettings } from '../config/operator-env.ts';
import { CLAIMS_RESOURCE, POPULATOR_KIND, populatorKeys, volumePopulator } from '../controllers/populator/wiring.ts';
import type { ResourcePath } from '../k8s/client/informer-source.ts';
import type { KubernetesObject } from '@kubernetes/client-node';

export interface ReconcilerEntry {
  readonly kind: string;
  readonly plural: string;
  readonly reconciler: Reconciler;
  /** Reconciles run at once; Backups and Restores wait on Jobs and snapshots, so they get more. */
  readonly workers?: number;
  /** What it watches, when not its own Holdfast kind: a resource, and the keys an event of it concerns. */
  readonly watch?: { readonly resource: ResourcePath; readonly map: (obj: KubernetesObject) => string[] };
}

export interface ReconcilerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly operatorNamespace: string;
  /** This cluster's id, recorded on every snapshot (see clusterIdentity). */
  readonly clusterId: string;
  readonly observeRpo?: (policy: string, seconds: number | undefined) => void;
  /** Image and security context of mover Jobs; default: this release's image (operator-env.ts). */
  readonly mover?: MoverSettings;
}

export function operatorReconcilers(kc: KubeConfig, o: ReconcilerOptions): ReconcilerEntry[] {
  const engine = new EngineRepositories(o.clock, o.logger);
  const common = { objects: new HoldfastObjects(kc), clock: o.clock, logger: o.logger, operatorNamespace: o.operatorNamespace, clusterId: o.clusterId };
  const rpo = o.observeRpo ? { observeRpo: o.observeRpo } : {};
  const consistency = operatorConsistencyStages(kc, { objects: common.objects, streams: engine, clock: o.clock, logger: o.logger });
  return [
    { kind: 'BackupRepository', plural: 'backuprepositories', reconciler: new BackupRepositoryReconciler({ ...common, gateway: engine, archive: engine }) },
    { kind: 'Backup', plural: 'backups', workers: 4, reconciler: new BackupReconciler({ ...common, archive: engine, capture: (sel) => captureResources(kc, sel), stages: { consistency: consistency.consistency, volumes: backupVolumeStage(kc, { ...common, mover: o.mover }) } }) },
    { kind: 'Restore', plural: 'restores', workers: 4, reconciler: new RestoreReconciler({ ...common, archive: engine, restore: (objs, spec, provenance) => restoreResources(kc, objs, spec, { provenance }), stages: { dumps: consistency.dumps, volumes: restoreVolumeStage(kc, { ...common, mover: o.mover }) } }) },
    { kind: 'BackupPolicy', plural: 'backuppolicies', reconciler: new BackupPolicyReconciler({ ...common, ...rpo }) },
    { kind: 'ClusterBackupPolicy', plural: 'clusterbackuppolicies', reconciler: new BackupPolicyReconciler({ ...common, ...rpo }, clusterPolicy) },
    { kind: POPULATOR_KIND, plural: CLAIMS_RESOURCE.plural, workers: 4, watch: { resource: CLAIMS_RESOURCE, map: populatorKeys }, reconciler: volumePopulator(kc, { ...common, mover: o.mover }) },
  ];
}

/**
 * This cluster's id: the configured one, else the uid of its kube-system namespace
 * (stable for the life of the cluster, different in every cluster; a rebuilt cluster is
 * a new one, so its catalog imports the old cluster's backups).
 */
export async function clusterIdentity(kc: KubeConfig, configured?: string): Promise<string> {
  if (configured) return configured;
  const ns = await new HoldfastObjects(kc).namespace('kube-system');
  if (ns === undefined || ns.uid === '') throw new HoldfastError('CONFIG_INVALID', 'cannot tell the cluster id: namespace kube-system not found; set HOLDFAST_CLUSTER_ID');
  return ns.uid;
}

/** A controller running `entry`'s reconciler on the events of its resource. */
export function controllerFor(kc: KubeConfig, entry: ReconcilerEntry, logger: Logger, observe?: ControllerOptions['observe']): Controller {
  return new Controller({
    name: entry.kind,
    logger,
    reconciler: entry.reconciler,
    ...(entry.workers ? { workers: entry.workers } : {}),
    sources: [new InformerSource({ kc, logger, resource: entry.watch?.resource ?? { group: GROUP, version: VERSION, kind: entry.kind, plural: entry.plural }, ...(entry.watch ? { map: entry.watch.map } : {}) })],
    ...(observe ? { observe } : {}),
  });
}
