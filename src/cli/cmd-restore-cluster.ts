/**
 * `holdfast restore create|list|describe`: Restore objects in a cluster. `create` restores
 * a Backup (into its namespace, or mapped ones with --namespace-map, which needs the Backup
 * to live in the operator namespace); `--wait` follows it and exits with its outcome.
 */
import type { Command } from '@commander-js/extra-typings';
import { API_VERSION } from '../k8s/api/group.ts';
import type { KubeObjectJson } from '../k8s/client/custom-objects.ts';
import type { CliContext } from './context.ts';
import { cluster } from './cluster/lazy.ts';
import { say } from './context.ts';
import { ageOf, printDescription, printList, statusOf, type Column } from './cluster/describe.ts';
import { follow } from './cluster/follow.ts';
import { commaList, keyValues, runName, selectionFrom, selectionOptions, splitRef, withKubeOptions } from './cluster/options.ts';
import { collect } from './option-values.ts';
import { HoldfastError } from '../core/errors.ts';

type Counts = Partial<Record<'total' | 'created' | 'updated' | 'replaced' | 'skipped' | 'pruned' | 'failed', number>>;

export function registerRestoreCluster(restore: Command, ctx: CliContext, setExit: (code: number) => void): void {
  const create = withKubeOptions(restore.command('create'), 'namespace of the Backup, where the Restore is created (default: the context\'s)')
    .description('restore a Backup in a cluster (the operator runs it)')
    .argument('[name]', 'name of the Restore (default: <backup>-<time>)')
    .requiredOption('--from-backup <backup>', 'the Backup to restore, as name or namespace/name')
    .option('--namespace-map <from=to>', 'restore namespace FROM into TO (repeatable, or comma-separated)', collect, [] as string[])
    .option('--existing <policy>', 'objects that exist already: skip, update or replace', 'skip')
    .option('--prune', 'rollback: delete objects in scope that were not in the backup')
    .option('--name-suffix <suffix>', 'append to every restored name (a clone beside the original)')
    .option('--wait', 'follow the Restore until it finishes')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long', '3600');
  selectionOptions(create).action(async (name, opts) => {
    const target = (await cluster()).kubeTarget(ctx, opts);
    const backup = splitRef(opts.fromBackup, target.namespace);
    if (!['skip', 'update', 'replace'].includes(opts.existing)) throw new HoldfastError('USAGE', `--existing must be skip, update or replace, not '${opts.existing}'`);
    const restoreName = name ?? runName(backup.name, ctx.clock.now());
    const mapping = keyValues(opts.namespaceMap.flatMap(commaList), '--namespace-map');
    const selection = selectionFrom(opts);
    const spec = {
      source: { backupName: backup.name },
      existingResourcePolicy: opts.existing,
      ...(Object.keys(mapping).length > 0 ? { namespaceMapping: mapping } : {}),
      ...(Object.keys(selection).length > 0 ? { selection } : {}),
      ...(opts.prune ? { prune: true } : {}),
      ...(opts.nameSuffix ? { rename: { suffix: opts.nameSuffix } } : {}),
    };
    await target.objects.getOrFail({ plural: 'backups', ...backup }, 'Backup');
    await target.objects.createOrFail('restores', backup.namespace, { apiVersion: API_VERSION, kind: 'Restore', metadata: { name: restoreName }, spec });
    say(ctx, `Restore ${backup.namespace}/${restoreName} created from Backup ${backup.name}`);
    if (!opts.wait) return;
    const { obj, exitCode } = await follow(ctx, target.objects, { kind: 'Restore', plural: 'restores', namespace: backup.namespace, name: restoreName }, Number(opts.timeout) * 1000);
    say(ctx, `${statusOf(obj).phase ?? ''}: ${countsText((obj.status as { counts?: Counts } | undefined)?.counts)}`);
    setExit(exitCode);
  });

  withKubeOptions(restore.command('list'), 'namespace to list (default: the context\'s)')
    .description('list the Restores of a namespace (or of all namespaces) in a cluster')
    .option('-A, --all-namespaces', 'list the Restores of every namespace')
    .action(async (opts) => {
      const target = (await cluster()).kubeTarget(ctx, opts);
      const items = opts.allNamespaces ? await target.objects.listAll('restores') : await target.objects.list('restores', target.namespace);
      printList(ctx, items, RESTORE_COLUMNS);
    });

  withKubeOptions(restore.command('describe'), 'namespace of the Restore (default: the context\'s)')
    .description('show one Restore: its source, outcome per object, conditions and events')
    .argument('<name>', 'the Restore, as name or namespace/name')
    .action(async (ref, opts) => {
      const target = (await cluster()).kubeTarget(ctx, opts);
      const obj = await target.objects.getOrFail({ plural: 'restores', ...splitRef(ref, target.namespace) }, 'Restore');
      await printDescription(ctx, target, obj, restoreFacts(obj));
    });
}

const RESTORE_COLUMNS: Column[] = [
  { title: 'NAMESPACE', value: (o) => o.metadata?.namespace ?? '' },
  { title: 'NAME', value: (o) => o.metadata?.name ?? '' },
  { title: 'BACKUP', value: (o) => (o.spec as { source?: { backupName?: string } } | undefined)?.source?.backupName ?? '' },
  { title: 'PHASE', value: (o) => statusOf(o).phase ?? 'New' },
  { title: 'RESULT', value: (o) => countsText((o.status as { counts?: Counts } | undefined)?.counts) },
  { title: 'AGE', value: ageOf },
];

function countsText(c: Counts | undefined): string {
  if (c === undefined) return '';
  const parts = (['created', 'updated', 'replaced', 'skipped', 'pruned', 'failed'] as const).filter((k) => (c[k] ?? 0) > 0).map((k) => `${c[k] ?? 0} ${k}`);
  return `${c.total ?? 0} object(s)${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

function restoreFacts(obj: KubeObjectJson): Array<[string, string | number | undefined]> {
  const spec = (obj.spec ?? {}) as { source?: { backupName?: string; snapshotId?: string }; namespaceMapping?: Record<string, string>; existingResourcePolicy?: string; prune?: boolean };
  const s = statusOf(obj) as ReturnType<typeof statusOf> & { counts?: Counts; resources?: Array<{ kind: string; namespace?: string; name: string; outcome: string; message?: string }> };
  const failed = (s.resources ?? []).filter((r) => r.outcome === 'Failed').map((r) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}: ${r.message ?? ''}`);
  return [
    ['Phase', s.phase ?? 'New'],
    ['Backup', spec.source?.backupName],
    ['Snapshot', s.snapshotId ?? spec.source?.snapshotId],
    ['Mapping', Object.entries(spec.namespaceMapping ?? {}).map(([a, b]) => `${a}→${b}`).join(', ')],
    ['Existing', spec.existingResourcePolicy],
    ['Prune', spec.prune ? 'yes' : undefined],
    ['Started', s.startTime],
    ['Completed', s.completionTime],
    ['Result', countsText(s.counts)],
    ['Failed', failed.join('; ')],
  ];
}
