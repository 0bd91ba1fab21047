/** The operator's settings from its environment (the Deployment sets them), read once. */
import { HoldfastError, messageOf } from '../core/errors.ts';

export interface OperatorSettings {
  readonly podName: string;
  readonly namespace: string;
  readonly leaderElection: boolean;
  readonly healthPort: number;
  readonly kubeconfig: string | undefined;
  /** This cluster's id on its snapshots; default: the uid of namespace kube-system. */
  readonly clusterId: string | undefined;
  readonly mover: MoverSettings;
}

/** How the operator dresses the data-mover pods it starts. */
export interface MoverSettings {
  /** HOLDFAST_MOVER_IMAGE: the Holdfast image the mover Jobs run (the Deployment sets it to its own). */
  readonly image: string;
  /** HOLDFAST_MOVER_SECURITY_CONTEXT: the mover container's securityContext, as JSON. */
  readonly securityContext: Readonly<Record<string, unknown>>;
}

/** The image of this release; the Deployment normally names the operator's own image instead. */
export const DEFAULT_MOVER_IMAGE = 'ghcr.io/holdfast-dev/holdfast:0.1.0';

/**
 * Movers read every file of a volume whoever owns it, and a restore sets owners back, so
 * they run as root with just the file capabilities, no privilege escalation and a
 * read-only root filesystem.
 */
export const DEFAULT_MOVER_SECURITY_CONTEXT: Readonly<Record<string, unknown>> = {
  runAsUser: 0,
  runAsNonRoot: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID'] },
};

export const DEFAULT_MOVER_SETTINGS: MoverSettings = { image: DEFAULT_MOVER_IMAGE, securityContext: DEFAULT_MOVER_SECURITY_CONTEXT };

export function readOperatorSettings(env: NodeJS.ProcessEnv): OperatorSettings {
  return {
    podName: env.POD_NAME || `holdfast-operator-${process.pid}`,
    namespace: env.POD_NAMESPACE || 'holdfast-system',
    leaderElection: env.HOLDFAST_LEADER_ELECTION !== 'false',
    healthPort: port('HOLDFAST_HEALTH_PORT', env.HOLDFAST_HEALTH_PORT, 8081),
    kubeconfig: env.KUBECONFIG || undefined,
    clusterId: env.HOLDFAST_CLUSTER_ID || undefined,
    mover: {
      image: env.HOLDFAST_MOVER_IMAGE || DEFAULT_MOVER_IMAGE,
      securityContext: securityContext(env.HOLDFAST_MOVER_SECURITY_CONTEXT),
    },
  };
}

function securityContext(value: string | undefined): Readonly<Record<string, unknown>> {
  if (value === undefined || value === '') return DEFAULT_MOVER_SECURITY_CONTEXT;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `HOLDFAST_MOVER_SECURITY_CONTEXT must be a JSON object (a container securityContext): ${messageOf(err)}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HoldfastError('CONFIG_INVALID', 'HOLDFAST_MOVER_SECURITY_CONTEXT must be a JSON object (a container securityContext)');
  }
  return parsed as Record<string, unknown>;
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new HoldfastError('CONFIG_INVALID', `${name} must be a port number, not '${value}'`);
  return n;
}
