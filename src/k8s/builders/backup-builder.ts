import type { BackupMethod, BackupSpecInput, BackupStatus } from '../api/backup.ts';
import { backupSchema, type Backup, type BackupInput } from '../api/resources.ts';
import { ResourceBuilder } from './resource-builder.ts';

type Selection = NonNullable<BackupSpecInput['selection']>;

export class BackupBuilder extends ResourceBuilder<BackupInput, Backup> {
  constructor(namespace: string, name: string) {
    super(backupSchema, 'Backup', { namespace, name }, { repositoryRef: { name: 'default' } });
  }

  repository(name: string): this {
    this.spec.repositoryRef = { name };
    return this;
  }

  method(method: BackupMethod): this {
    this.spec.method = method;
    return this;
  }

  selection(selection: Selection): this {
    this.spec.selection = { ...this.spec.selection, ...selection };
    return this;
  }

  includedKinds(...kinds: string[]): this {
    return this.selection({ includedKinds: kinds });
  }

  excludedKinds(...kinds: string[]): this {
    return this.selection({ excludedKinds: kinds });
  }

  labelSelector(matchLabels: Record<string, string>): this {
    return this.selection({ labelSelector: { matchLabels } });
  }

  volumes(volumes: NonNullable<BackupSpecInput['volumes']>): this {
    this.spec.volumes = volumes;
    return this;
  }

  recipe(recipe: NonNullable<BackupSpecInput['recipe']>): this {
    this.spec.recipe = recipe;
    return this;
  }

  consistencyGroup(group: NonNullable<BackupSpecInput['consistencyGroup']>): this {
    this.spec.consistencyGroup = group;
    return this;
  }

  hooks(...hooks: NonNullable<BackupSpecInput['hooks']>): this {
    this.spec.hooks = [...(this.spec.hooks ?? []), ...hooks];
    return this;
  }

  deletionPolicy(policy: NonNullable<BackupSpecInput['deletionPolicy']>): this {
    this.spec.deletionPolicy = policy;
    return this;
  }

  imported(imported: NonNullable<BackupSpecInput['imported']>): this {
    this.spec.imported = imported;
    return this;
  }

  phase(phase: NonNullable<BackupStatus['phase']>): this {
    return this.status({ phase });
  }

  snapshotId(snapshotId: string): this {
    return this.status({ snapshotId });
  }
}

export function forBackup(namespace: string, name: string): BackupBuilder {
  return new BackupBuilder(namespace, name);
}
