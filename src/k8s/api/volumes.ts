/**
 * Volume data: which PVCs a backup takes, how (CSI snapshots, group snapshots, the mover
 * Job that copies data into the repository), and how a restore refills them.
 */
import { z } from 'zod';
import { labelSelectorSchema } from './selectors.ts';
import { objectName, quantity, stringMap, stringSet } from './schema-kit.ts';

const resourceListSchema = z.record(z.string().min(1).max(253), quantity('An amount of the resource.'));

const tolerationSchema = z
  .strictObject({
    key: z.string().max(317).optional().describe('Taint key; empty with operator Exists matches every taint.'),
    operator: z.enum(['Exists', 'Equal']).default('Equal').describe('Exists or Equal.'),
    value: z.string().max(63).optional().describe('Taint value for Equal.'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect to match; empty matches all.'),
    tolerationSeconds: z.int().optional().describe('For NoExecute: how long the pod stays bound after the taint appears.'),
  })
  .describe('A toleration, as in a pod spec.');

export const moverPodSchema = z
  .strictObject({
    resources: z
      .strictObject({
        requests: resourceListSchema.optional().describe('Minimum resources, e.g. cpu: 500m, memory: 512Mi.'),
        limits: resourceListSchema.optional().describe('Maximum resources.'),
      })
      .optional()
      .describe('Compute resources of the mover container.'),
    nodeSelector: stringMap('Node labels the mover pod must run on.', 64).optional(),
    tolerations: z.array(tolerationSchema).max(32).optional().describe('Tolerations of the mover pod.'),
    priorityClassName: z.string().max(253).optional().describe('Priority class of the mover pod.'),
  })
  .describe("The data-mover pods' placement and resources; unset fields come from the operator's configuration (which also sets their security context).");

export const backupVolumesSchema = z
  .strictObject({
    claimSelector: labelSelectorSchema.optional().describe('Only PVCs with these labels; absent means every PVC in scope.'),
    excludedClaims: stringSet(z.string().max(253), 512).optional().describe('PVC names to leave out.'),
    volumeSnapshotClassName: objectName("VolumeSnapshotClass for the snapshots; default: the policy's, else the driver's default class.").optional(),
    groupSnapshot: z
      .enum(['auto', 'never', 'required'])
      .default('auto')
      .describe('Use a VolumeGroupSnapshot (one cut across all PVCs) when the driver offers it (auto), never, or fail without it (required).'),
    volumeGroupSnapshotClassName: objectName('VolumeGroupSnapshotClass; default: the driver\'s default.').optional(),
    unquiesceWhen: z
      .enum(['snapshot-cut', 'snapshot-ready'])
      .optional()
      .describe(
        "snapshot methods: end the freeze (recipe, hooks, consistency group) as soon as every VolumeSnapshot is cut, or only once they are ready to use; snapshot-ready here or in the recipe's freeze waits. The way to choose it for a backup with hooks and no recipe. Absent: the recipe's freeze.unquiesceWhen, else snapshot-cut.",
      ),
    readyTimeoutSeconds: z.int().min(1).max(86_400).default(1800).describe('How long to wait for snapshots to become ready to use.'),
    moveMode: z
      .enum(['auto', 'filesystem', 'block'])
      .default('auto')
      .describe('How the mover reads a volume: as a directory tree (filesystem), as a device (block), or by the PVC volumeMode (auto).'),
    changedBlockTracking: z
      .enum(['auto', 'disabled'])
      .default('auto')
      .describe('Block moves read only changed blocks when a SnapshotMetadataService serves the driver (auto).'),
    parallelism: z.int().min(1).max(32).default(2).describe('How many volumes are moved at once.'),
    keepSnapshots: z
      .boolean()
      .default(false)
      .describe('snapshot+move: keep the VolumeSnapshots after the data is in the repository (they are deleted by default).'),
    mover: moverPodSchema.optional(),
  })
  .describe('Which PVCs are backed up and how; used by the filesystem, snapshot and snapshot+move methods.');

export const restoreVolumesSchema = z
  .strictObject({
    mode: z
      .enum(['new', 'in-place'])
      .default('new')
      .describe(
        'new: create the PVCs (from the VolumeSnapshot when it is in this cluster, else empty and refilled by a mover Job); in-place: scale the owners down (replicas remembered), refill the existing PVCs, scale back up, and on failure put back what was there.',
      ),
    scaleDownTimeoutSeconds: z.int().min(1).max(86_400).default(600).describe('in-place: how long to wait for the owners to stop.'),
    parallelism: z.int().min(1).max(32).default(2).describe('How many volumes are refilled at once.'),
    mover: moverPodSchema.optional(),
  })
  .describe('How volume data comes back.');

export type BackupVolumes = z.output<typeof backupVolumesSchema>;
export type RestoreVolumes = z.output<typeof restoreVolumesSchema>;
export type MoverPod = z.output<typeof moverPodSchema>;
