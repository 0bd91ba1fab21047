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
import { RestoreReconciler } from '../controllers/restore/reconciler.ts';
import { Controller, type ControllerOptions, type Reconciler } from '../controllers/runtime/controller.ts';
import { GROUP, VERSION } from '../k8s/api/group.ts';
import { HoldfastObjects } from '../k8s/client/custom-objects.ts';
import { InformerSource } from '../k8s/client/informer-source.ts';
import { captureResources } from '../k8s/resources/capture.ts';
import { restoreResources } from '../k8s/resources/restore.ts';
import { EngineRepositories } from './engine-repositories.ts';

export interface ReconcilerEntry {
  readonly kind: string;
  readonly plural: string;
  readonly reconciler: Reconciler;
}

export interface ReconcilerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly operatorNamespace: string;
  readonly observeRpo?: (policy: string, seconds: number | undefined) => void;
}

export function operatorReconcilers(kc: KubeConfig, o: ReconcilerOptions): ReconcilerEntry[] {
  const engine = new EngineRepositories(o.clock, o.logger);
  const common = { objects: new HoldfastObjects(kc), clock: o.clock, logger: o.logger, operatorNamespace: o.operatorNamespace };
  return [
    { kind: 'BackupRepository', plural: 'backuprepositories', reconciler: new BackupRepositoryReconciler({ ...common, gateway: engine }) },
    { kind: 'Backup', plural: 'backups', reconciler: new BackupReconciler({ ...common, archive: engine, capture: (sel) => captureResources(kc, sel) }) },
    { kind: 'Restore', plural: 'restores', reconciler: new RestoreReconciler({ ...common, archive: engine, restore: (objs, spec, provenance) => restoreResources(kc, objs, spec, { provenance }) }) },
    { kind: 'BackupPolicy', plural: 'backuppolicies', reconciler: new BackupPolicyReconciler({ ...common, ...(o.observeRpo ? { observeRpo: o.observeRpo } : {}) }) },
  ];
}

/** A controller running `entry`'s reconciler on the events of its resource. */
export function controllerFor(kc: KubeConfig, entry: ReconcilerEntry, logger: Logger, observe?: ControllerOptions['observe']): Controller {
  return new Controller({
    name: entry.kind,
    logger,
    reconciler: entry.reconciler,
    sources: [new InformerSource({ kc, logger, resource: { group: GROUP, version: VERSION, kind: entry.kind, plural: entry.plural } })],
    ...(observe ? { observe } : {}),
  });
}
