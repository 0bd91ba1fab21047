import type { BackupRepositorySpecInput } from '../api/backup-repository.ts';
import { backupRepositorySchema, type BackupRepository, type BackupRepositoryInput } from '../api/resources.ts';
import { ResourceBuilder } from './resource-builder.ts';

type Spec = BackupRepositorySpecInput;

export class BackupRepositoryBuilder extends ResourceBuilder<BackupRepositoryInput, BackupRepository> {
  constructor(name: string) {
    super(backupRepositorySchema, 'BackupRepository', { name }, {
      backend: { filesystem: { path: '/var/lib/holdfast/repository' } },
      encryption: { keySecretRef: { name: `${name}-key`, namespace: 'holdfast-system' } },
    });
  }

  filesystem(path: string): this {
    this.spec.backend = { filesystem: { path } };
    return this;
  }

  pvc(claimName: string, subPath?: string): this {
    this.spec.backend = { filesystem: { pvc: { claimName, ...(subPath !== undefined ? { subPath } : {}) } } };
    return this;
  }

  s3(s3: NonNullable<Spec['backend']['s3']>): this {
    this.spec.backend = { s3 };
    return this;
  }

  keySecret(namespace: string, name: string, key?: string): this {
    this.spec.encryption = { keySecretRef: { namespace, name, ...(key !== undefined ? { key } : {}) } };
    return this;
  }

  allowAllNamespaces(): this {
    this.spec.allowedNamespaces = { from: 'all' };
    return this;
  }

  allowNamespaces(...names: string[]): this {
    this.spec.allowedNamespaces = { from: 'selector', names };
    return this;
  }

  readOnly(): this {
    this.spec.accessMode = 'read-only';
    return this;
  }

  catalog(catalog: NonNullable<Spec['catalog']>): this {
    this.spec.catalog = catalog;
    return this;
  }
}

export function forBackupRepository(name: string): BackupRepositoryBuilder {
  return new BackupRepositoryBuilder(name);
}
