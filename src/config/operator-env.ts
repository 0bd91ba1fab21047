/** The operator's settings from its environment (the Deployment sets them), read once. */
import { HoldfastError } from '../core/errors.ts';

export interface OperatorSettings {
  readonly podName: string;
  readonly namespace: string;
  readonly leaderElection: boolean;
  readonly healthPort: number;
  readonly kubeconfig: string | undefined;
  /** This cluster's id on its snapshots; default: the uid of namespace kube-system. */
  readonly clusterId: string | undefined;
}

export function readOperatorSettings(env: NodeJS.ProcessEnv): OperatorSettings {
  return {
    podName: env.POD_NAME || `holdfast-operator-${process.pid}`,
    namespace: env.POD_NAMESPACE || 'holdfast-system',
    leaderElection: env.HOLDFAST_LEADER_ELECTION !== 'false',
    healthPort: port('HOLDFAST_HEALTH_PORT', env.HOLDFAST_HEALTH_PORT, 8081),
    kubeconfig: env.KUBECONFIG || undefined,
    clusterId: env.HOLDFAST_CLUSTER_ID || undefined,
  };
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new HoldfastError('CONFIG_INVALID', `${name} must be a port number, not '${value}'`);
  return n;
}
