/** Full object schemas and types of every kind, as the controllers read them. */
import type { z } from 'zod';
import {
  backupKind,
  backupPolicyKind,
  backupRepositoryKind,
  clusterBackupPolicyKind,
  clusterRecipeKind,
  recipeKind,
  resourceSchema,
  restoreKind,
} from './kinds.ts';

export const backupRepositorySchema = resourceSchema(backupRepositoryKind);
export const backupPolicySchema = resourceSchema(backupPolicyKind);
export const clusterBackupPolicySchema = resourceSchema(clusterBackupPolicyKind);
export const backupSchema = resourceSchema(backupKind);
export const restoreSchema = resourceSchema(restoreKind);
export const recipeSchema = resourceSchema(recipeKind);
export const clusterRecipeSchema = resourceSchema(clusterRecipeKind);

export type BackupRepository = z.output<typeof backupRepositorySchema>;
export type BackupPolicy = z.output<typeof backupPolicySchema>;
export type ClusterBackupPolicy = z.output<typeof clusterBackupPolicySchema>;
export type Backup = z.output<typeof backupSchema>;
export type Restore = z.output<typeof restoreSchema>;
export type Recipe = z.output<typeof recipeSchema>;
export type ClusterRecipe = z.output<typeof clusterRecipeSchema>;

/** What a client writes: defaults may be left out. */
export type BackupRepositoryInput = z.input<typeof backupRepositorySchema>;
export type BackupPolicyInput = z.input<typeof backupPolicySchema>;
export type ClusterBackupPolicyInput = z.input<typeof clusterBackupPolicySchema>;
export type BackupInput = z.input<typeof backupSchema>;
export type RestoreInput = z.input<typeof restoreSchema>;
export type RecipeInput = z.input<typeof recipeSchema>;
export type ClusterRecipeInput = z.input<typeof clusterRecipeSchema>;
