/**
 * What `backup list|describe` and `restore list|describe` print: a table row per object,
 * or the whole story of one (spec summary, outcome, conditions, counts, errors and the
 * Events the operator recorded on it).
 */
import type { KubeObjectJson } from '../../k8s/client/custom-objects.ts';
import type { CliContext } from '../context.ts';
import { writeJson } from '../context.ts';
import { table } from '../format.ts';
import type { KubeTarget } from './kube-target.ts';

interface CommonStatus {
  phase?: string;
  startTime?: string;
  completionTime?: string;
  snapshotId?: string;
  conditions?: Array<{ type: string; status: string; reason: string; message: string; lastTransitionTime?: string }>;
  errors?: string[];
  warnings?: string[];
}

export interface Column {
  readonly title: string;
  readonly value: (obj: KubeObjectJson) => string;
}

export function statusOf(obj: KubeObjectJson): CommonStatus {
  return (obj.status ?? {}) as CommonStatus;
}

export function printList(ctx: CliContext, items: readonly KubeObjectJson[], columns: readonly Column[]): void {
  if (ctx.globals().json) {
    for (const obj of items) writeJson(ctx, { namespace: obj.metadata?.namespace, name: obj.metadata?.name, labels: obj.metadata?.labels ?? {}, spec: obj.spec, status: obj.status ?? {} });
    return;
  }
  if (items.length === 0) {
    ctx.stdout.write('nothing found\n');
    return;
  }
  const rows = [columns.map((c) => c.title), ...items.map((obj) => columns.map((c) => c.value(obj)))];
  ctx.stdout.write(`${table(rows)}\n`);
}

/** Prints one object: the given facts, then conditions, errors, warnings and Events. */
export async function printDescription(ctx: CliContext, target: KubeTarget, obj: KubeObjectJson, facts: ReadonlyArray<[string, string | number | undefined]>): Promise<void> {
  const events = await eventsOf(target, obj);
  if (ctx.globals().json) {
    writeJson(ctx, { namespace: obj.metadata?.namespace, name: obj.metadata?.name, labels: obj.metadata?.labels ?? {}, spec: obj.spec, status: obj.status ?? {}, events });
    return;
  }
  ctx.stdout.write(`${[...factLines(obj, facts), ...statusLines(statusOf(obj)), ...eventLines(events)].join('\n')}\n`);
}

function factLines(obj: KubeObjectJson, facts: ReadonlyArray<[string, string | number | undefined]>): string[] {
  const lines = [`Name:       ${obj.metadata?.name ?? ''}`, `Namespace:  ${obj.metadata?.namespace ?? ''}`];
  for (const [k, v] of facts) if (v !== undefined && v !== '') lines.push(`${`${k}:`.padEnd(12)}${v}`);
  return lines;
}

function statusLines(s: CommonStatus): string[] {
  const lines: string[] = [];
  if (s.conditions?.length) {
    lines.push('Conditions:', ...indent(table([['TYPE', 'STATUS', 'REASON', 'MESSAGE'], ...s.conditions.map((c) => [c.type, c.status, c.reason, c.message])])));
  }
  for (const [title, list] of [['Errors', s.errors], ['Warnings', s.warnings]] as const) {
    if (list?.length) lines.push(`${title}:`, ...list.map((e) => `  - ${e}`));
  }
  return lines;
}

function eventLines(events: readonly EventLine[]): string[] {
  if (events.length === 0) return [];
  return ['Events:', ...indent(table([['TYPE', 'REASON', 'AGE', 'MESSAGE'], ...events.map((e) => [e.type, e.reason, e.age, e.message])]))];
}

interface EventLine {
  type: string;
  reason: string;
  age: string;
  message: string;
}

async function eventsOf(target: KubeTarget, obj: KubeObjectJson): Promise<EventLine[]> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = target.kc.makeApiClient(CoreV1Api);
  const fieldSelector = `involvedObject.name=${obj.metadata?.name ?? ''},involvedObject.kind=${obj.kind ?? ''}`;
  const list = await core.listNamespacedEvent({ namespace: obj.metadata?.namespace ?? 'default', fieldSelector }).catch(() => ({ items: [] }));
  const now = Date.now();
  return list.items
    .map((e) => ({ e, at: new Date(e.eventTime ?? e.lastTimestamp ?? e.metadata.creationTimestamp ?? 0).getTime() }))
    .sort((a, b) => a.at - b.at)
    .map(({ e, at }) => ({ type: e.type ?? '', reason: e.reason ?? '', age: age(now - at), message: e.message ?? '' }));
}

export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

export function ageOf(obj: KubeObjectJson): string {
  const created = obj.metadata?.creationTimestamp;
  return created === undefined ? '' : age(Date.now() - new Date(created).getTime());
}

function indent(text: string): string[] {
  return text.split('\n').map((l) => `  ${l}`);
}
