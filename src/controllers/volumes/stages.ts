/** The volume stages of Backups and Restores, wired to a cluster (what `bin/` plugs into the reconcilers). */
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_MOVER_SETTINGS, type MoverSettings } from '../../config/operator-env.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import { BackupVolumeStage } from './backup-stage.ts';
import { kubeVolumeCluster } from './cluster.ts';
import { RestoreVolumeStageImpl } from './restore-stage.ts';

export interface VolumeWiring {
  readonly objects: HoldfastObjects;
  readonly operatorNamespace: string;
  readonly clusterId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly mover?: MoverSettings | undefined;
}

export function backupVolumeStage(kc: KubeConfig, w: VolumeWiring): BackupVolumeStage {
  return new BackupVolumeStage({ ...w, cluster: kubeVolumeCluster(kc), mover: w.mover ?? DEFAULT_MOVER_SETTINGS });
}

export function restoreVolumeStage(kc: KubeConfig, w: VolumeWiring): RestoreVolumeStageImpl {
  return new RestoreVolumeStageImpl({ ...w, cluster: kubeVolumeCluster(kc), mover: w.mover ?? DEFAULT_MOVER_SETTINGS });
}
