/** Starts some of the operator's controllers in this process against a test control plane (wired as `holdfast operator` wires them). */
import type { KubeConfig } from '@kubernetes/client-node';
import { clusterIdentity, controllerFor, operatorReconcilers } from '#src/bin/reconcilers.ts';
import { systemClock, type Clock } from '#src/core/clock.ts';
import { silentLogger } from '#src/core/logger.ts';
import type { Controller } from '#src/controllers/runtime/controller.ts';

export async function startControllers(kc: KubeConfig, kinds: readonly string[], opts: { clock?: Clock } = {}): Promise<Controller[]> {
  const clusterId = await clusterIdentity(kc);
  const entries = operatorReconcilers(kc, { clock: opts.clock ?? systemClock, logger: silentLogger, operatorNamespace: 'holdfast-system', clusterId }).filter((e) => kinds.includes(e.kind));
  const controllers = entries.map((e) => controllerFor(kc, e, silentLogger));
  for (const c of controllers) await c.start();
  return controllers;
}

export async function stopControllers(controllers: readonly Controller[]): Promise<void> {
  for (const c of controllers) await c.stop();
}
