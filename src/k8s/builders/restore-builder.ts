import type { RestoreSpecInput, RestoreStatus } from '../api/restore.ts';
import { restoreSchema, type Restore, type RestoreInput } from '../api/resources.ts';
import { ResourceBuilder } from './resource-builder.ts';

type Spec = RestoreSpecInput;

export class RestoreBuilder extends ResourceBuilder<RestoreInput, Restore> {
  constructor(namespace: string, name: string) {
    super(restoreSchema, 'Restore', { namespace, name }, { source: { backupName: 'backup' } });
  }

  fromBackup(backupName: string): this {
    this.spec.source = { backupName };
    return this;
  }

  fromSnapshot(repository: string, snapshotId: string): this {
    this.spec.source = { repositoryRef: { name: repository }, snapshotId };
    return this;
  }

  mapNamespace(from: string, to: string): this {
    this.spec.namespaceMapping = { ...this.spec.namespaceMapping, [from]: to };
    return this;
  }

  rename(rename: NonNullable<Spec['rename']>): this {
    this.spec.rename = rename;
    return this;
  }

  selection(selection: NonNullable<Spec['selection']>): this {
    this.spec.selection = { ...this.spec.selection, ...selection };
    return this;
  }

  transforms(transforms: NonNullable<Spec['transforms']>): this {
    this.spec.transforms = { ...this.spec.transforms, ...transforms };
    return this;
  }

  existingResourcePolicy(policy: NonNullable<Spec['existingResourcePolicy']>): this {
    this.spec.existingResourcePolicy = policy;
    return this;
  }

  prune(prune = true): this {
    this.spec.prune = prune;
    return this;
  }

  volumeMode(mode: 'new' | 'in-place'): this {
    this.spec.volumes = { ...this.spec.volumes, mode };
    return this;
  }

  recipe(recipe: NonNullable<Spec['recipe']>): this {
    this.spec.recipe = recipe;
    return this;
  }

  pointInTime(at: string): this {
    this.spec.pointInTime = at;
    return this;
  }

  phase(phase: NonNullable<RestoreStatus['phase']>): this {
    return this.status({ phase });
  }
}

export function forRestore(namespace: string, name: string): RestoreBuilder {
  return new RestoreBuilder(namespace, name);
}
