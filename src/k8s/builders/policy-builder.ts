import type { BackupPolicySpecInput, ClusterBackupPolicySpecInput } from '../api/backup-policy.ts';
import type { BackupMethod } from '../api/backup.ts';
import type { ObjectMeta } from '../api/meta.ts';
import {
  backupPolicySchema,
  clusterBackupPolicySchema,
  type BackupPolicy,
  type BackupPolicyInput,
  type ClusterBackupPolicy,
  type ClusterBackupPolicyInput,
} from '../api/resources.ts';
import { ResourceBuilder } from './resource-builder.ts';
import type { z } from 'zod';

type PolicyInput = BackupPolicyInput | ClusterBackupPolicyInput;
type SpecInput = BackupPolicySpecInput | ClusterBackupPolicySpecInput;

class PolicyBuilder<Input extends PolicyInput, Output> extends ResourceBuilder<Input, Output> {
  protected constructor(schema: z.ZodType<Output>, kind: Input['kind'], metadata: ObjectMeta, spec: Input['spec']) {
    super(schema, kind, metadata, spec);
  }

  private get policy(): SpecInput {
    return this.spec as SpecInput;
  }

  repository(name: string): this {
    this.policy.repositoryRef = { name };
    return this;
  }

  cron(cron: string, timeZone?: string): this {
    this.policy.schedule = { ...this.policy.schedule, cron, ...(timeZone !== undefined ? { timeZone } : {}) };
    return this;
  }

  concurrencyPolicy(policy: 'Allow' | 'Forbid' | 'Replace'): this {
    this.policy.schedule = { ...this.policy.schedule, concurrencyPolicy: policy };
    return this;
  }

  startingDeadlineSeconds(seconds: number): this {
    this.policy.schedule = { ...this.policy.schedule, startingDeadlineSeconds: seconds };
    return this;
  }

  suspend(suspend = true): this {
    this.policy.schedule = { ...this.policy.schedule, suspend };
    return this;
  }

  keep(keep: NonNullable<SpecInput['keep']>): this {
    this.policy.keep = keep;
    return this;
  }

  rpo(rpo: string): this {
    this.policy.rpo = rpo;
    return this;
  }

  method(method: BackupMethod): this {
    this.policy.method = method;
    return this;
  }

  selection(selection: NonNullable<SpecInput['selection']>): this {
    this.policy.selection = { ...this.policy.selection, ...selection };
    return this;
  }

  recipe(recipe: NonNullable<SpecInput['recipe']>): this {
    this.policy.recipe = recipe;
    return this;
  }
}

const defaultSpec = { repositoryRef: { name: 'default' }, schedule: { cron: '@daily' } };

export class BackupPolicyBuilder extends PolicyBuilder<BackupPolicyInput, BackupPolicy> {
  constructor(namespace: string, name: string) {
    super(backupPolicySchema, 'BackupPolicy', { namespace, name }, structuredClone(defaultSpec));
  }
}

export class ClusterBackupPolicyBuilder extends PolicyBuilder<ClusterBackupPolicyInput, ClusterBackupPolicy> {
  constructor(name: string) {
    super(clusterBackupPolicySchema, 'ClusterBackupPolicy', { name }, { ...structuredClone(defaultSpec), namespaceSelector: {} });
  }

  namespaceSelector(matchLabels: Record<string, string>): this {
    this.spec.namespaceSelector = { matchLabels };
    return this;
  }

  backupPer(per: 'namespace' | 'policy'): this {
    this.spec.backupPer = per;
    return this;
  }
}

export function forBackupPolicy(namespace: string, name: string): BackupPolicyBuilder {
  return new BackupPolicyBuilder(namespace, name);
}

export function forClusterBackupPolicy(name: string): ClusterBackupPolicyBuilder {
  return new ClusterBackupPolicyBuilder(name);
}
