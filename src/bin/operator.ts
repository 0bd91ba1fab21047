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
import type { Controller } from '../controllers/runtime/controller.ts';
import { clusterIdentity, controllerFor, operatorReconcilers } from './reconcilers.ts';
import { LeaderElector } from '../controllers/runtime/leader-election.ts';
import { KubeLeaseStore } from '../k8s/client/lease-store.ts';
import { createOperatorMetrics, type OperatorMetrics } from '../observability/metrics.ts';
import { startHealthServer } from '../server/health-server.ts';

function kubeConfig(settings: OperatorSettings): KubeConfig {
  const kc = new KubeConfig();
  if (settings.kubeconfig) kc.loadFromFile(settings.kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

async function controllers(kc: KubeConfig, settings: OperatorSettings, logger: Logger, metrics: OperatorMetrics): Promise<Controller[]> {
  const observeRpo = (policy: string, seconds: number | undefined): void => void metrics.rpoSeconds.set({ policy }, seconds ?? -1);
  const clusterId = await clusterIdentity(kc, settings.clusterId);
  const entries = operatorReconcilers(kc, { clock: systemClock, logger, operatorNamespace: settings.namespace, clusterId, observeRpo, mover: settings.mover });
  return entries.map((entry) => controllerFor(kc, entry, logger, ({ controller, ms, error }) => {
    metrics.reconciles.inc({ controller, result: error === undefined ? 'success' : 'error' });
    metrics.reconcileSeconds.observe({ controller }, ms / 1000);
  }));
}

export async function runOperator(settings: OperatorSettings, logger: Logger, stop: AbortSignal): Promise<number> {
  const kc = kubeConfig(settings);
  const metrics = createOperatorMetrics();
  let running: Controller[] = [];
  const startControllers = async (): Promise<void> => {
    running = await controllers(kc, settings, logger, metrics);
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
    let starting = Promise.resolve();
    await elector.run({
      onStartedLeading: () => {
        metrics.isLeader.set(1);
        starting = startControllers().catch((err: unknown) => logger.error({ error: String(err) }, 'controllers failed to start'));
      },
      onStoppedLeading: async () => {
        metrics.isLeader.set(0);
        await starting;
        await stopControllers();
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
