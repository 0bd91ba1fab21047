/**
 * Sample objects for tests of the API: the examples in deploy/examples, and a table of
 * broken variants with the error each must get. samples.test.ts checks them against the
 * zod schemas; an integration test can replay them against a real apiserver (the CRD
 * schema and CEL rules must reject the same objects, except those marked zodOnly).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from './group.ts';

export const EXAMPLES_DIR = join(import.meta.dirname, '../../../deploy/examples');

export type SampleObject = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

/** The holdfast.dev objects of deploy/examples, keyed `Kind/name`. */
export function loadExamples(dir = EXAMPLES_DIR): Map<string, SampleObject> {
  const out = new Map<string, SampleObject>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const value = doc.toJS() as SampleObject;
      if (value.apiVersion === API_VERSION) out.set(`${value.kind}/${value.metadata.name}`, value);
    }
  }
  return out;
}

/** A copy of `doc` with the value at a dotted path (`spec.hooks[0].exec`) replaced, or deleted when `value` is undefined. */
export function withChange(doc: SampleObject, path: string, value: unknown): SampleObject {
  const copy = structuredClone(doc);
  const parts = path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '');
  let node = copy as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** A broken variant of an example: `example` with `path` set to `value` (deleted when undefined). */
export interface BrokenSample {
  readonly example: string;
  readonly path: string;
  readonly value: unknown;
  /** The start of the error after the object's name: the field path and, where useful, the rule. */
  readonly error: string;
  /** Checked by zod only: the CRD cannot express it (CEL cannot see untyped fields). */
  readonly zodOnly?: boolean;
}

const REPO = 'BackupRepository/main';
const POLICY = 'BackupPolicy/orders-nightly';
const CLUSTER_POLICY = 'ClusterBackupPolicy/gold-tier';
const BACKUP = 'Backup/ledger-before-upgrade';
const CLONE = 'Restore/shop-staging-clone';
const ROLLBACK = 'Restore/orders-rollback';
const RECIPE = 'Recipe/mariadb-custom';

export const BROKEN_SAMPLES: readonly BrokenSample[] = [
  { example: REPO, path: 'apiVersion', value: 'holdfast.dev/v1', error: 'apiVersion:' },
  { example: REPO, path: 'spec.backend.filesystem', value: { path: '/data' }, error: 'spec.backend: backend: set exactly one of s3, filesystem' },
  { example: REPO, path: 'spec.backend', value: {}, error: 'spec.backend: backend: set exactly one of s3, filesystem' },
  { example: 'BackupRepository/prod-from-dr', path: 'spec.backend.filesystem.path', value: '/data', error: 'spec.backend.filesystem: filesystem: set exactly one of path, pvc' },
  { example: 'BackupRepository/prod-from-dr', path: 'spec.backend.filesystem.pvc', value: undefined, error: 'spec.backend.filesystem: filesystem: set exactly one of path, pvc' },
  { example: REPO, path: 'spec.backend.s3.objectLock.mode', value: 'governance', error: 'spec.backend.s3.objectLock.mode:' },
  { example: REPO, path: 'spec.backend.s3.objectLock.retentionDays', value: 0, error: 'spec.backend.s3.objectLock.retentionDays:' },
  { example: REPO, path: 'spec.backend.s3.bucket', value: undefined, error: 'spec.backend.s3.bucket:' },
  { example: REPO, path: 'spec.encryption', value: undefined, error: 'spec.encryption:' },
  { example: REPO, path: 'spec.encryption.keySecretRef.namespace', value: undefined, error: 'spec.encryption.keySecretRef.namespace:' },
  { example: REPO, path: 'spec.allowedNamespaces.selector', value: undefined, error: 'spec.allowedNamespaces: from: selector needs selector or names' },
  { example: REPO, path: 'spec.allowedNamespaces.from', value: 'all', error: 'spec.allowedNamespaces: selector and names are only used with from: selector' },
  { example: REPO, path: 'spec.backend.s3.endpoint', value: 'minio:9000', error: 'spec.backend.s3.endpoint: must be an http:// or https:// URL' },
  { example: POLICY, path: 'spec.schedule.cron', value: '', error: 'spec.schedule.cron:' },
  { example: POLICY, path: 'spec.schedule.cron', value: 'every night', error: 'spec.schedule.cron: must be a cron expression' },
  { example: POLICY, path: 'spec.schedule.timeZone', value: 'Paris time', error: 'spec.schedule.timeZone: must be an IANA time zone' },
  { example: POLICY, path: 'spec.schedule.concurrencyPolicy', value: 'Sometimes', error: 'spec.schedule.concurrencyPolicy:' },
  { example: POLICY, path: 'spec.schedule.startingDeadlineSeconds', value: -1, error: 'spec.schedule.startingDeadlineSeconds:' },
  { example: POLICY, path: 'spec.keep', value: {}, error: 'spec.keep: keep needs at least one rule' },
  { example: POLICY, path: 'spec.keep.within', value: '7 days', error: 'spec.keep.within: must be a span' },
  { example: POLICY, path: 'spec.keep.daily', value: 1.5, error: 'spec.keep.daily:' },
  { example: POLICY, path: 'spec.rpo', value: '1 day', error: 'spec.rpo: must be a duration' },
  { example: POLICY, path: 'spec.recipe', value: undefined, error: 'spec.method: method dump needs a recipe' },
  { example: POLICY, path: 'spec.recipe.podSelector', value: undefined, error: "spec.recipe.podSelector: a recipe needs podSelector" },
  { example: POLICY, path: 'spec.recipe.freeze.mode', value: 'scale-to-zero', error: 'spec.recipe.workloadRef: freeze mode scale-to-zero needs workloadRef' },
  { example: POLICY, path: 'spec.recipe.recipeRef.kind', value: 'Cookbook', error: 'spec.recipe.recipeRef.kind:' },
  { example: POLICY, path: 'spec.selection.excludedKinds', value: ['pods'], error: 'spec.selection.excludedKinds[0]: must be Kind, Kind.group or *' },
  { example: POLICY, path: 'spec.selection.excludedKinds', value: ['Pod', 'Pod'], error: 'spec.selection.excludedKinds: entries must be unique' },
  { example: POLICY, path: 'spec.repositoryRef', value: undefined, error: 'spec.repositoryRef:' },
  { example: POLICY, path: 'spec.repositoryRef.name', value: 'Main', error: 'spec.repositoryRef.name: must be a lowercase DNS-1123 name' },
  { example: CLUSTER_POLICY, path: 'spec.namespaceSelector', value: undefined, error: 'spec.namespaceSelector: a ClusterBackupPolicy needs namespaceSelector or selection.namespaces' },
  { example: CLUSTER_POLICY, path: 'spec.method', value: 'resources', error: 'spec.volumes: volumes is for the filesystem, snapshot and snapshot+move methods' },
  { example: CLUSTER_POLICY, path: 'spec.volumes.groupSnapshot', value: 'always', error: 'spec.volumes.groupSnapshot:' },
  { example: CLUSTER_POLICY, path: 'spec.volumes.mover.resources.requests.cpu', value: 'half', error: 'spec.volumes.mover.resources.requests.cpu:' },
  { example: CLUSTER_POLICY, path: 'spec.backupPer', value: 'cluster', error: 'spec.backupPer:' },
  { example: BACKUP, path: 'spec.method', value: 'tar', error: 'spec.method:' },
  { example: BACKUP, path: 'spec.selecton', value: {}, error: 'spec.selecton: unknown field' },
  { example: BACKUP, path: 'spec.recipe', value: { recipeRef: { name: 'pg' }, podSelector: {} }, error: 'spec: backup: set at most one of recipe, consistencyGroup' },
  { example: BACKUP, path: 'spec.consistencyGroup.members', value: [], error: 'spec.consistencyGroup.members:' },
  { example: BACKUP, path: 'spec.consistencyGroup.members[1].name', value: 'accounts', error: 'spec.consistencyGroup.members: names must be unique' },
  { example: BACKUP, path: 'spec.consistencyGroup.members[2].workloadRef', value: undefined, error: 'spec.consistencyGroup.members[2].workloadRef: freeze mode scale-to-zero needs workloadRef' },
  { example: BACKUP, path: 'spec.consistencyGroup.skewMargin', value: '2 seconds', error: 'spec.consistencyGroup.skewMargin: must be a duration' },
  { example: BACKUP, path: 'spec.hooks[0].exec', value: { command: ['true'] }, error: 'spec.hooks[0]: action: set exactly one of exec, http, job' },
  { example: BACKUP, path: 'spec.hooks[0].http', value: undefined, error: 'spec.hooks[0]: action: set exactly one of exec, http, job' },
  { example: BACKUP, path: 'spec.hooks[1].target', value: undefined, error: 'spec.hooks[1].target: an exec hook needs target.podSelector' },
  { example: BACKUP, path: 'spec.hooks[1].phase', value: 'after', error: 'spec.hooks[1].phase:' },
  { example: BACKUP, path: 'spec.hooks[1].artifact', value: 'out.txt', error: 'spec.hooks[1].artifact: artifact is only for dump and load hooks' },
  { example: BACKUP, path: 'spec.hooks[1].name', value: 'announce', error: 'spec.hooks: names must be unique' },
  { example: BACKUP, path: 'spec.hooks[1].name', value: 'Check Sum', error: 'spec.hooks[1].name: must be a lowercase DNS label' },
  { example: BACKUP, path: 'spec.hooks[0].http.url', value: 'ftp://x', error: 'spec.hooks[0].http.url:' },
  { example: BACKUP, path: 'spec.hooks[0].onError', value: 'ignore', error: 'spec.hooks[0].onError:' },
  { example: BACKUP, path: 'spec.hooks[1].exec.command', value: [], error: 'spec.hooks[1].exec.command:' },
  {
    example: BACKUP,
    path: 'spec.hooks[1].target.podSelector.matchExpressions',
    value: [{ key: 'app', operator: 'In' }],
    error: 'spec.hooks[1].target.podSelector.matchExpressions[0].values: values must be non-empty for In and NotIn',
  },
  { example: CLONE, path: 'spec.source.snapshotId', value: 'abc', error: 'spec.source: source: repositoryRef and snapshotId go together' },
  { example: CLONE, path: 'spec.source', value: {}, error: 'spec.source: source: set either backupName, or repositoryRef and snapshotId' },
  { example: CLONE, path: 'spec.namespaceMapping.shop', value: 'Shop_Staging', error: 'spec.namespaceMapping.shop: must be a lowercase DNS-1123 label' },
  { example: CLONE, path: 'spec.transforms.jsonPatches[0].patch[0].op', value: 'move', error: 'spec.transforms.jsonPatches[0].patch[0].from: from is required for move and copy' },
  {
    example: CLONE,
    path: 'spec.transforms.jsonPatches[0].patch[0].value',
    value: undefined,
    error: 'spec.transforms.jsonPatches[0].patch[0].value: value is required for add, replace and test',
    zodOnly: true,
  },
  { example: CLONE, path: 'spec.transforms.jsonPatches[0].patch[0].path', value: 'spec.replicas', error: 'spec.transforms.jsonPatches[0].patch[0].path: must be a JSON pointer' },
  { example: CLONE, path: 'spec.transforms.jsonPatches[0].patch', value: [], error: 'spec.transforms.jsonPatches[0].patch:' },
  { example: CLONE, path: 'spec.existingResourcePolicy', value: 'overwrite', error: 'spec.existingResourcePolicy:' },
  { example: ROLLBACK, path: 'spec.volumes.mode', value: 'inplace', error: 'spec.volumes.mode:' },
  { example: ROLLBACK, path: 'spec.prune', value: 'yes', error: 'spec.prune:' },
  { example: ROLLBACK, path: 'spec.pointInTime', value: 'yesterday', error: 'spec.pointInTime:' },
  { example: RECIPE, path: 'spec.actions.unquiesce', value: undefined, error: 'spec.actions.unquiesce: a recipe with quiesce steps needs unquiesce steps' },
  { example: RECIPE, path: 'spec.actions.dump[0].exec', value: undefined, error: 'spec.actions.dump[0]: action: set exactly one of exec, http, job' },
  { example: RECIPE, path: 'spec.actions.dump[0].timeoutSeconds', value: 0, error: 'spec.actions.dump[0].timeoutSeconds:' },
  { example: RECIPE, path: 'spec.parameters[0].name', value: 'pass-word', error: 'spec.parameters[0].name: must be letters, digits and _' },
  { example: RECIPE, path: 'spec.actions.backup', value: [], error: 'spec.actions.backup: unknown field' },
];
