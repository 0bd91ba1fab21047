/**
 * The condition types and reasons Holdfast's controllers set. Programs match on these
 * (never on messages); messages say what and where for a human.
 *
 * Which kind uses which type:
 * - every kind: Accepted (the spec is valid and allowed; False means nothing will run until it is fixed).
 * - BackupRepository: Ready, CatalogSynced, Verified.
 * - Backup: Progressing, Succeeded, Quiesced, Consistent (consistency groups only).
 * - Restore: Progressing, Succeeded.
 * - BackupPolicy, ClusterBackupPolicy: RPOMet (when spec.rpo is set), RetentionApplied.
 */
export const CONDITION_TYPES = {
  /** The spec is valid, its references resolve, and it is allowed (tenancy). */
  Accepted: 'Accepted',
  /** The repository is reachable and opened with the password. */
  Ready: 'Ready',
  /** Work is under way; the reason names the step. False once finished. */
  Progressing: 'Progressing',
  /** Terminal outcome of a Backup or Restore: True = Completed. */
  Succeeded: 'Succeeded',
  /** The application is frozen right now. Must end False (Released) whatever happens. */
  Quiesced: 'Quiesced',
  /** No pod of a consistency group changed during the pause window. */
  Consistent: 'Consistent',
  /** The newest successful Backup is younger than spec.rpo. */
  RPOMet: 'RPOMet',
  /** Retention ran without error. */
  RetentionApplied: 'RetentionApplied',
  /** Catalog sync read the repository's backups. */
  CatalogSynced: 'CatalogSynced',
  /** The last repository check passed. */
  Verified: 'Verified',
} as const;

export type ConditionType = (typeof CONDITION_TYPES)[keyof typeof CONDITION_TYPES];

export const REASONS = {
  // Accepted
  Valid: 'Valid',
  InvalidSpec: 'InvalidSpec',
  RepositoryNotFound: 'RepositoryNotFound',
  RepositoryNotReady: 'RepositoryNotReady',
  RepositoryNotAllowed: 'RepositoryNotAllowed',
  RepositoryReadOnly: 'RepositoryReadOnly',
  NamespaceNotPermitted: 'NamespaceNotPermitted',
  RecipeNotFound: 'RecipeNotFound',
  BackupNotFound: 'BackupNotFound',
  BackupNotCompleted: 'BackupNotCompleted',
  SnapshotNotFound: 'SnapshotNotFound',
  SecretNotFound: 'SecretNotFound',
  InvalidSchedule: 'InvalidSchedule',
  InvalidTimeZone: 'InvalidTimeZone',
  // Ready (BackupRepository)
  Connected: 'Connected',
  Unreachable: 'Unreachable',
  AuthenticationFailed: 'AuthenticationFailed',
  WrongPassword: 'WrongPassword',
  NotInitialized: 'NotInitialized',
  InitializationFailed: 'InitializationFailed',
  // Progressing (the step under way), then False with Done
  Pending: 'Pending',
  Preparing: 'Preparing',
  Quiescing: 'Quiescing',
  CapturingResources: 'CapturingResources',
  Snapshotting: 'Snapshotting',
  WaitingForSnapshots: 'WaitingForSnapshots',
  Dumping: 'Dumping',
  MovingData: 'MovingData',
  Finalizing: 'Finalizing',
  ScalingDown: 'ScalingDown',
  RestoringResources: 'RestoringResources',
  RefillingVolumes: 'RefillingVolumes',
  Loading: 'Loading',
  ScalingUp: 'ScalingUp',
  Pruning: 'Pruning',
  RollingBack: 'RollingBack',
  Verifying: 'Verifying',
  Deleting: 'Deleting',
  DeletionBlocked: 'DeletionBlocked',
  Done: 'Done',
  // Succeeded
  Completed: 'Completed',
  PartiallyFailed: 'PartiallyFailed',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
  // Quiesced
  Frozen: 'Frozen',
  Released: 'Released',
  ReleasedByWatchdog: 'ReleasedByWatchdog',
  // Consistent
  PodsUnchanged: 'PodsUnchanged',
  PodsChanged: 'PodsChanged',
  // RPOMet
  WithinObjective: 'WithinObjective',
  ObjectiveMissed: 'ObjectiveMissed',
  NoSuccessfulBackup: 'NoSuccessfulBackup',
  // RetentionApplied, CatalogSynced, Verified
  Applied: 'Applied',
  Synced: 'Synced',
  SyncFailed: 'SyncFailed',
  Disabled: 'Disabled',
  CheckPassed: 'CheckPassed',
  CheckFailed: 'CheckFailed',
  NeverChecked: 'NeverChecked',
} as const;

export type Reason = (typeof REASONS)[keyof typeof REASONS];
