/** References from one object to another. */
import { z } from 'zod';
import { namespaceName, objectName } from './schema-kit.ts';

export const localObjectReferenceSchema = z
  .strictObject({ name: objectName('Name of the object, in the same namespace as the referring object.') })
  .describe('A reference to an object in the same namespace.');

/** A key of a Secret in the referring object's namespace. */
export const secretKeySelectorSchema = z
  .strictObject({
    name: objectName('Name of the Secret, in the same namespace as the referring object.'),
    key: z.string().min(1).max(253).describe('Key within the Secret.'),
  })
  .describe('A key of a Secret in the same namespace.');

/** A Secret referred to by a cluster-scoped object, so it names its namespace. */
export const clusterSecretReferenceSchema = z
  .strictObject({
    name: objectName('Name of the Secret.'),
    namespace: namespaceName('Namespace of the Secret.'),
  })
  .describe('A Secret in a named namespace.');

export const clusterSecretKeySelectorSchema = z
  .strictObject({
    name: objectName('Name of the Secret.'),
    namespace: namespaceName('Namespace of the Secret.'),
    key: z.string().min(1).max(253).default('password').describe('Key within the Secret that holds the value.'),
  })
  .describe('A key of a Secret in a named namespace.');

export const repositoryReferenceSchema = z
  .strictObject({ name: objectName('Name of the (cluster-scoped) BackupRepository.') })
  .describe('The BackupRepository where the snapshots are stored. The repository must allow this namespace (spec.allowedNamespaces).');

export const recipeReferenceSchema = z
  .strictObject({
    kind: z
      .enum(['Recipe', 'ClusterRecipe'])
      .default('ClusterRecipe')
      .describe('Recipe (in this namespace) or ClusterRecipe (shipped for PostgreSQL, MySQL/MariaDB, Redis, etcd).'),
    name: objectName('Name of the Recipe or ClusterRecipe.'),
  })
  .describe('A Recipe or ClusterRecipe.');

export const workloadReferenceSchema = z
  .strictObject({
    kind: z.enum(['Deployment', 'StatefulSet', 'ReplicaSet']).describe('Kind of the workload (group apps).'),
    name: objectName('Name of the workload, in the same namespace.'),
  })
  .describe('A workload that can be scaled down and up again.');

export type LocalObjectReference = z.output<typeof localObjectReferenceSchema>;
export type SecretKeySelector = z.output<typeof secretKeySelectorSchema>;
export type ClusterSecretReference = z.output<typeof clusterSecretReferenceSchema>;
export type ClusterSecretKeySelector = z.output<typeof clusterSecretKeySelectorSchema>;
export type RepositoryReference = z.output<typeof repositoryReferenceSchema>;
export type RecipeReference = z.output<typeof recipeReferenceSchema>;
export type WorkloadReference = z.output<typeof workloadReferenceSchema>;
