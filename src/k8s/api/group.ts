/**
 * The names of Holdfast's Kubernetes API that other components rely on: the group and
 * version, and the labels, annotations and finalizers the operator writes. Changing any
 * of these is an API change.
 */
export const GROUP = 'holdfast.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** `kubectl get holdfast` lists every Holdfast object. */
export const CATEGORY = 'holdfast';

/** Labels the operator puts on objects it creates. */
export const LABELS = {
  /** On Backups a BackupPolicy created: the policy's name (no owner reference: deleting a policy keeps its backups). */
  policy: `${GROUP}/policy`,
  /** On Backups a ClusterBackupPolicy created: the policy's name. */
  clusterPolicy: `${GROUP}/cluster-policy`,
  /** On Backups the catalog sync created from another cluster's snapshot: "true". */
  imported: `${GROUP}/imported`,
  /** On imported Backups: the id of the cluster that made the backup. */
  sourceCluster: `${GROUP}/source-cluster`,
  /** On imported Backups: the BackupRepository the catalog found them in. */
  repository: `${GROUP}/repository`,
  /** On mover Jobs, temporary PVCs and VolumeSnapshots: the Backup they serve. */
  backup: `${GROUP}/backup`,
  /** On mover Jobs and temporary objects: the Restore they serve. */
  restore: `${GROUP}/restore`,
  /** On cloned workloads, their selectors and pod templates: the Restore that made the clone, so it never selects the original's pods. */
  clone: `${GROUP}/clone`,
  /** On objects the operator created and will clean up. */
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/**
 * Labels on the repository snapshots the operator stores: the contract between the
 * cluster that writes a backup and the catalog sync of any cluster that reads it.
 */
export const SNAPSHOT_LABELS = {
  /** The uid of the Backup object the snapshot belongs to (an interrupted run finds its work by it). */
  backupUid: `${GROUP}/backup-uid`,
  /** `<namespace>/<name>` of that Backup. */
  backup: `${GROUP}/backup`,
  /** Id of the cluster whose operator stored it (the uid of its kube-system namespace, unless configured). */
  cluster: `${GROUP}/cluster`,
  /** The namespaces captured, comma-separated. */
  namespaces: 'namespace',
} as const;

export const MANAGED_BY_VALUE = 'holdfast';

/** Annotations: provenance of restored objects and state the operator must remember. */
export const ANNOTATIONS = {
  /** On every restored object: `<namespace>/<name>` of the Backup it came from (when restored from a Backup). */
  restoredFromBackup: `${GROUP}/restored-from-backup`,
  /** On every restored object: the repository snapshot id it came from. */
  restoredFromSnapshot: `${GROUP}/restored-from-snapshot`,
  /** On every restored object: `<namespace>/<name>` of the Restore that created or changed it. */
  restoredBy: `${GROUP}/restored-by`,
  /** On every restored object: the RFC 3339 time of the restore. */
  restoredAt: `${GROUP}/restored-at`,
  /** On renamed or re-namespaced (cloned) objects: `<namespace>/<name>` they had at backup time. */
  originalName: `${GROUP}/original-name`,
  /** On workloads scaled down (in-place restore, scale-to-zero freeze): the replica count to restore. */
  replicasBeforeScaleDown: `${GROUP}/replicas-before-scale-down`,
  /** On restored PVCs: `<namespace>/<claimName>` of the captured claim whose data they hold. */
  restoredFromVolume: `${GROUP}/restored-from-volume`,
  /** On restored PVCs filled from the repository: the volume's repository snapshot id. */
  restoredFromVolumeSnapshot: `${GROUP}/restored-from-volume-snapshot`,
  /** On a PV the volume populator filled: `<namespace>/<name>` of the PVC it was filled for (lib-volume-populator's populated-from). */
  populatedFor: `${GROUP}/populated-for`,
  /** On a PVC to be filled by the volume populator (dataSourceRef → a Backup): which captured claim, `<namespace>/<claimName>`. */
  sourceVolume: `${GROUP}/source-volume`,
} as const;

export const FINALIZERS = {
  /** On Backups: forget the backup's snapshots in the repository before the object goes. */
  backupSnapshots: `${GROUP}/snapshots`,
  /** On Backups and Restores: remove temporary Jobs, PVCs and VolumeSnapshots before the object goes. */
  temporaryObjects: `${GROUP}/temporary-objects`,
} as const;
