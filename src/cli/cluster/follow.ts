/**
 * `--wait`: follows a Backup or Restore until it reaches a final phase, printing a line
 * each time its phase or current step changes (or progress moves), and returns the exit
 * code its outcome maps to.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HoldfastError } from '../../core/errors.ts';
import type { HoldfastObjects, KubeObjectJson, ObjectRef } from '../../k8s/client/custom-objects.ts';
import type { CliContext } from '../context.ts';
import { say, writeJson } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatBytes, formatDuration } from '../format.ts';

const FINAL: Readonly<Record<string, number>> = { Completed: EXIT.ok, PartiallyFailed: EXIT.partial, Failed: EXIT.failure, Inconsistent: EXIT.inconsistent };
const POLL_MS = 500;

interface Followed {
  phase?: string;
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  progress?: { bytesDone?: number; bytesTotal?: number; itemsDone?: number; itemsTotal?: number; etaSeconds?: number };
}

export async function follow(ctx: CliContext, objects: HoldfastObjects, ref: ObjectRef & { kind: string }, timeoutMs: number): Promise<{ obj: KubeObjectJson; exitCode: number }> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const obj = await objects.get(ref);
    if (obj === undefined) throw new HoldfastError('OBJECT_NOT_FOUND', `${ref.kind} ${ref.namespace ?? ''}/${ref.name} disappeared while waiting for it`);
    const status = (obj.status ?? {}) as Followed;
    const line = describeStep(status);
    if (line !== last) {
      last = line;
      if (ctx.globals().json) writeJson(ctx, { message_type: 'status', kind: ref.kind, name: ref.name, namespace: ref.namespace, phase: status.phase ?? 'New', step: line, elapsed_ms: Date.now() - started });
      else say(ctx, `[${formatDuration(Date.now() - started)}] ${ref.kind} ${ref.namespace}/${ref.name}: ${line}`);
    }
    const code = FINAL[status.phase ?? ''];
    if (code !== undefined) return { obj, exitCode: code };
    if (Date.now() - started > timeoutMs) {
      throw new HoldfastError('TIMEOUT', `${ref.kind} ${ref.namespace}/${ref.name} is still ${status.phase ?? 'New'} after ${formatDuration(timeoutMs)} (it goes on in the cluster)`);
    }
    await sleep(POLL_MS);
  }
}

function describeStep(s: Followed): string {
  const phase = s.phase ?? 'New';
  const step = s.conditions?.find((c) => c.type === 'Progressing' && c.status === 'True');
  const waiting = s.conditions?.find((c) => c.type === 'Accepted' && c.status === 'False');
  const done = s.conditions?.find((c) => c.type === 'Succeeded');
  const detail = FINAL[phase] !== undefined ? done?.message : (step?.message ?? waiting?.message);
  return [phase, detail, progressText(s.progress)].filter((p) => p !== undefined && p !== '').join(' — ');
}

function progressText(p: Followed['progress']): string | undefined {
  if (p === undefined) return undefined;
  const parts: string[] = [];
  if (p.bytesDone !== undefined) parts.push(`${formatBytes(p.bytesDone)}${p.bytesTotal ? ` of ${formatBytes(p.bytesTotal)}` : ''}`);
  if (p.itemsDone !== undefined) parts.push(`${p.itemsDone}${p.itemsTotal ? `/${p.itemsTotal}` : ''} items`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatDuration(p.etaSeconds * 1000)}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}
