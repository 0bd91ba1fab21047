/**
 * `holdfast backup create|list|describe`: Backup objects in a cluster, for people who
 * would rather not write YAML. `create --wait` follows the Backup until it finishes and
 * exits with its outcome (0 Completed, 3 PartiallyFailed, 1 Failed, 15 Inconsistent).
 */
import type { Command } from '@commander-js/extra-typings';
import { API_VERSION, LABELS } from '../k8s/api/group.ts';
import type { KubeObjectJson } from '../k8s/client/custom-objects.ts';
import type { CliContext } from './context.ts';
import { cluster } from './cluster/lazy.ts';
import { say } from './context.ts';
import { ageOf, printDescription, printList, statusOf, type Column } from './cluster/describe.ts';
import { follow } from './cluster/follow.ts';
import { commaList, keyValues, runName, selectionFrom, selectionOptions, splitRef, withKubeOptions } from './cluster/options.ts';
import { collect } from './option-values.ts';

export function registerBackupCluster(backup: Command, ctx: CliContext, setExit: (code: number) => void): void {
  const create = withKubeOptions(backup.command('create'), 'namespace to back up, where the Backup is created (default: the context\'s)')
    .description('create a Backup of a namespace in a cluster (the operator runs it)')
    .argument('[name]', 'name of the Backup (default: <namespace>-<time>)')
    .option('--repository <name>', 'BackupRepository to store it in (default: the only one)')
    .option('--include-namespaces <list>', 'namespaces to capture, comma-separated (a Backup in the operator namespace only)')
    .option('--snapshot-label <key=value>', 'label stored on the repository snapshot (repeatable)', collect, [] as string[])
    .option('--retain', 'keep the snapshot in the repository when the Backup is deleted')
    .option('--wait', 'follow the Backup until it finishes')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long', '3600');
  selectionOptions(create).action(async (name, opts) => {
    const target = (await cluster()).kubeTarget(ctx, opts);
    const backupName = name ?? runName(target.namespace, ctx.clock.now());
    const repository = await (await cluster()).chooseRepository(target.objects, opts.repository);
    const selection = { ...selectionFrom(opts), ...(opts.includeNamespaces ? { namespaces: commaList(opts.includeNamespaces) } : {}) };
    const labels = keyValues(opts.snapshotLabel, '--snapshot-label');
    const spec = { repositoryRef: { name: repository }, ...(Object.keys(selection).length > 0 ? { selection } : {}), ...(Object.keys(labels).length > 0 ? { snapshotLabels: labels } : {}), ...(opts.retain ? { deletionPolicy: 'retain' } : {}) };
    await target.objects.createOrFail('backups', target.namespace, { apiVersion: API_VERSION, kind: 'Backup', metadata: { name: backupName }, spec });
    say(ctx, `Backup ${target.namespace}/${backupName} created (repository ${repository})`);
    if (!opts.wait) return;
    const { obj, exitCode } = await follow(ctx, target.objects, { kind: 'Backup', plural: 'backups', namespace: target.namespace, name: backupName }, Number(opts.timeout) * 1000);
    const s = statusOf(obj) as { resources?: { total?: number } };
    say(ctx, `${statusOf(obj).phase ?? ''}: ${s.resources?.total ?? 0} object(s) in snapshot ${statusOf(obj).snapshotId?.slice(0, 12) ?? '-'}`);
    setExit(exitCode);
  });

  withKubeOptions(backup.command('list'), 'namespace to list (default: the context\'s)')
    .description('list the Backups of a namespace (or of all namespaces) in a cluster')
    .option('-A, --all-namespaces', 'list the Backups of every namespace')
    .option('-l, --selector <labels>', 'only Backups with these labels (key=value,…)')
    .action(async (opts) => {
      const target = (await cluster()).kubeTarget(ctx, opts);
      const items = opts.allNamespaces ? await target.objects.listAll('backups', opts.selector) : await target.objects.list('backups', target.namespace, opts.selector);
      printList(ctx, sortByAge(items), BACKUP_COLUMNS);
    });

  withKubeOptions(backup.command('describe'), 'namespace of the Backup (default: the context\'s)')
    .description('show one Backup: what it captured, its outcome, conditions and events')
    .argument('<name>', 'the Backup, as name or namespace/name')
    .action(async (ref, opts) => {
      const target = (await cluster()).kubeTarget(ctx, opts);
      const at = splitRef(ref, target.namespace);
      const obj = await target.objects.getOrFail({ plural: 'backups', ...at }, 'Backup');
      await printDescription(ctx, target, obj, backupFacts(obj));
    });
}

const BACKUP_COLUMNS: Column[] = [
  { title: 'NAMESPACE', value: (o) => o.metadata?.namespace ?? '' },
  { title: 'NAME', value: (o) => o.metadata?.name ?? '' },
  { title: 'PHASE', value: (o) => statusOf(o).phase ?? 'New' },
  { title: 'OBJECTS', value: (o) => String((o.status as { resources?: { total?: number } } | undefined)?.resources?.total ?? '') },
  { title: 'SNAPSHOT', value: (o) => statusOf(o).snapshotId?.slice(0, 8) ?? '' },
  { title: 'ORIGIN', value: origin },
  { title: 'AGE', value: ageOf },
];

function origin(o: KubeObjectJson): string {
  const labels = o.metadata?.labels ?? {};
  if (labels[LABELS.imported] === 'true') return `imported from ${(labels[LABELS.sourceCluster] ?? '').slice(0, 8)}`;
  if (labels[LABELS.policy]) return `policy ${labels[LABELS.policy]}`;
  if (labels[LABELS.clusterPolicy]) return `cluster policy ${labels[LABELS.clusterPolicy]}`;
  return 'on demand';
}

function importedFrom(i: { sourceCluster?: string; sourceNamespace?: string; sourceName?: string } | undefined): string | undefined {
  return i && `${i.sourceNamespace ?? ''}/${i.sourceName ?? ''} of cluster ${i.sourceCluster ?? ''}`;
}

function sortByAge(items: KubeObjectJson[]): KubeObjectJson[] {
  return [...items].sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')));
}

function backupFacts(obj: KubeObjectJson): Array<[string, string | number | undefined]> {
  const spec = (obj.spec ?? {}) as { repositoryRef?: { name?: string }; method?: string; selection?: { namespaces?: string[] }; imported?: { sourceCluster?: string; sourceNamespace?: string; sourceName?: string } };
  const s = statusOf(obj) as ReturnType<typeof statusOf> & { resources?: { total?: number; byKind?: Array<{ group: string; kind: string; count: number }> }; clusterId?: string };
  const kinds = (s.resources?.byKind ?? []).map((k) => `${k.kind}${k.group ? `.${k.group}` : ''} ${k.count}`).join(', ');
  return [
    ['Phase', s.phase ?? 'New'],
    ['Origin', origin(obj)],
    ['Imported', importedFrom(spec.imported)],
    ['Repository', spec.repositoryRef?.name],
    ['Method', spec.method ?? 'resources'],
    ['Namespaces', spec.selection?.namespaces?.join(', ') ?? obj.metadata?.namespace],
    ['Started', s.startTime],
    ['Completed', s.completionTime],
    ['Snapshot', s.snapshotId],
    ['Cluster', s.clusterId],
    ['Objects', s.resources?.total],
    ['By kind', kinds],
  ];
}
