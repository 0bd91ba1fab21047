/**
 * Every Prometheus metric the operator exports, declared in one place on one registry
 * (no global default registry, so tests and several operators in one process stay apart).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileSeconds: Histogram<'controller'>;
  readonly isLeader: Gauge;
  readonly rpoSeconds: Gauge<'policy'>;
}

export function createOperatorMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'holdfast_' });
  return {
    registry,
    reconciles: new Counter({ name: 'holdfast_reconcile_total', help: 'Reconciles by controller and result (success, error).', labelNames: ['controller', 'result'], registers: [registry] }),
    reconcileSeconds: new Histogram({ name: 'holdfast_reconcile_duration_seconds', help: 'Time spent in one reconcile.', labelNames: ['controller'], buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600], registers: [registry] }),
    isLeader: new Gauge({ name: 'holdfast_leader', help: '1 while this replica holds the leader Lease.', registers: [registry] }),
    rpoSeconds: new Gauge({ name: 'holdfast_policy_seconds_since_last_success', help: 'Seconds since the newest successful Backup of a policy (-1: none yet); compare with its RPO.', labelNames: ['policy'], registers: [registry] }),
  };
}
