/**
 * Composition root of `holdfast operator`: the Kubernetes client, the controllers, leader
 * election on a Lease, and the health/metrics server. Only the leader runs controllers;
 * a replica that loses leadership exits (its Deployment restarts it as a standby), so no
 * half-run reconcile survives a leadership change.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { OperatorSettings } from '../config/operator-env.ts';
import { BackupRepositoryReconciler } from '../controllers/backup-repository/reconciler.ts';
import { BackupReconciler } from '../controllers/backup/reconciler.ts';
import { RestoreReconciler } from '../controllers/restore/reconciler.ts';
import { BackupPolicyReconciler } from '../controllers/policy/reconciler.ts';
import { Controller, type Reconciler } from '../controllers/runtime/controller.ts';
import { LeaderElector } from '../controllers/runtime/leader-election.ts';
import { GROUP, VERSION } from '../k8s/api/group.ts';
import { HoldfastObjects } from '../k8s/client/custom-objects.ts';
import { InformerSource } from '../k8s/client/informer-source.ts';
import { KubeLeaseStore } from '../k8s/client/lease-store.ts';
import { captureResources } from '../k8s/resources/capture.ts';
import { restoreResources } from '../k8s/resources/restore.ts';
import { createOperatorMetrics, type OperatorMetrics } from '../observability/metrics.ts';
import { startHealthServer } from '../server/health-server.ts';
import { EngineRepositoryGateway } from './repository-gateway.ts';
import { EngineResourceArchive } from './resource-archive.ts';

function kubeConfig(settings: OperatorSettings): KubeConfig {
  const kc = new KubeConfig();
  if (settings.kubeconfig) kc.loadFromFile(settings.kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

function controllers(kc: KubeConfig, settings: OperatorSettings, logger: Logger, metrics: OperatorMetrics): Controller[] {
  const objects = new HoldfastObjects(kc);
  const archive = new EngineResourceArchive(systemClock, logger);
  const common = { objects, clock: systemClock, logger, operatorNamespace: settings.namespace };
  const make = (kind: string, plural: string, reconciler: Reconciler): Controller =>
    new Controller({
      name: kind,
      logger,
      reconciler,
      sources: [new InformerSource({ kc, logger, resource: { group: GROUP, version: VERSION, kind, plural } })],
      observe: ({ controller, ms, error }) => {
        metrics.reconciles.inc({ controller, result: error === undefined ? 'success' : 'error' });
        metrics.reconcileSeconds.observe({ controller }, ms / 1000);
      },
    });
  return [
    make('BackupRepository', 'backuprepositories', new BackupRepositoryReconciler({ ...common, gateway: new EngineRepositoryGateway(systemClock, logger) })),
    make('Backup', 'backups', new BackupReconciler({ ...common, archive, capture: (sel) => captureResources(kc, sel) })),
    make('Restore', 'restores', new RestoreReconciler({ ...common, archive, restore: (objs, spec, provenance) => restoreResources(kc, objs, spec, { provenance }) })),
    make('BackupPolicy', 'backuppolicies', new BackupPolicyReconciler({ ...common, observeRpo: (policy, seconds) => metrics.rpoSeconds.set({ policy }, seconds ?? -1) })),
  ];
}

export async function runOperator(settings: OperatorSettings, logger: Logger, stop: AbortSignal): Promise<number> {
  const kc = kubeConfig(settings);
  const metrics = createOperatorMetrics();
  let running: Controller[] = [];
  const startControllers = async (): Promise<void> => {
    running = controllers(kc, settings, logger, metrics);
    for (const c of running) await c.start();
    logger.info({ controllers: running.map((c) => c.name) }, 'controllers started');
  };
  const stopControllers = async (): Promise<void> => {
    for (const c of running.splice(0)) await c.stop();
  };
  const server = await startHealthServer({ port: settings.healthPort, registry: metrics.registry, ready: () => true });
  logger.info({ port: server.port, identity: settings.podName }, 'operator started');
  let exitCode = 0;
  if (!settings.leaderElection) {
    await startControllers();
    await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
  } else {
    const elector = new LeaderElector({ identity: settings.podName, store: new KubeLeaseStore(kc, settings.namespace, 'holdfast-operator-leader'), clock: systemClock, logger });
    const lostLeadership = new AbortController();
    const both = AbortSignal.any([stop, lostLeadership.signal]);
    await elector.run({
      onStartedLeading: () => {
        metrics.isLeader.set(1);
        void startControllers().catch((err: unknown) => logger.error({ error: String(err) }, 'controllers failed to start'));
      },
      onStoppedLeading: () => {
        metrics.isLeader.set(0);
        if (!stop.aborted) {
          exitCode = 1;
          lostLeadership.abort();
        }
      },
    }, both);
  }
  await stopControllers();
  await server.close();
  logger.info({ exitCode }, 'operator stopped');
  return exitCode;
}
