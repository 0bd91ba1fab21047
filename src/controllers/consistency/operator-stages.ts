/** The consistency stages of the operator wired to a cluster: exec over the apiserver, HTTP, Jobs. */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import { kubeHttp } from '../../k8s/resources/kube-http.ts';
import { KubeActionExecutors } from '../actions/cluster-executors.ts';
import type { StreamArchive } from '../ports.ts';
import { OperatorConsistencyStage } from './backup-stage.ts';
import { OperatorLoadStage } from './restore-load.ts';
import type { ConsistencyDeps } from './step-runner.ts';

export interface ConsistencyWiring {
  readonly objects: HoldfastObjects;
  readonly streams: StreamArchive;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function operatorConsistencyStages(kc: KubeConfig, w: ConsistencyWiring): { consistency: OperatorConsistencyStage; dumps: OperatorLoadStage } {
  const deps: ConsistencyDeps = { ...w, http: kubeHttp(kc), executors: new KubeActionExecutors(kc) };
  return { consistency: new OperatorConsistencyStage(deps), dumps: new OperatorLoadStage(deps) };
}
