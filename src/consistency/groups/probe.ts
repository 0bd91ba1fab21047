/**
 * The members probe: a command that lists the application's processes, one JSON object
 * per line — `{"name":"coordinator","pid":4711,"state":"running","restarts":0}` — where
 * `name` identifies a process across probes and `pid`, `state` and `restarts` are what
 * must not change while the group is paused. Any change (a process restarted, gone,
 * new, or in another state) means some member may have moved on while the others were
 * paused: the group's capture is not a consistent cut.
 */
import { z } from 'zod';
import { HoldfastError } from '../../core/errors.ts';

const processSchema = z.object({
  name: z.string().min(1),
  pid: z.number().int(),
  state: z.string(),
  restarts: z.number().int().nonnegative(),
});
export type ProbedProcess = z.infer<typeof processSchema>;

export function parseProbeOutput(text: string, what: string): ProbedProcess[] {
  const seen = new Set<string>();
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new HoldfastError('ACTION_FAILED', `${what}: line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
    const r = processSchema.safeParse(value);
    if (!r.success) throw new HoldfastError('ACTION_FAILED', `${what}: line ${i + 1} needs name, pid, state and restarts: ${line.slice(0, 80)}`);
    if (seen.has(r.data.name)) throw new HoldfastError('ACTION_FAILED', `${what}: process '${r.data.name}' is listed twice`);
    seen.add(r.data.name);
    return r.data;
  });
}

/** What changed between two probes, one readable line per change; empty when nothing did. */
export function probeChanges(before: readonly ProbedProcess[], after: readonly ProbedProcess[]): string[] {
  const then = new Map(before.map((p) => [p.name, p]));
  const now = new Map(after.map((p) => [p.name, p]));
  const changes: string[] = [];
  for (const [name, b] of then) {
    const a = now.get(name);
    if (!a) { changes.push(`${name}: gone (was pid ${b.pid})`); continue; }
    if (a.pid !== b.pid) changes.push(`${name}: pid ${b.pid} → ${a.pid}`);
    if (a.restarts !== b.restarts) changes.push(`${name}: restarts ${b.restarts} → ${a.restarts}`);
    if (a.state !== b.state) changes.push(`${name}: state ${b.state} → ${a.state}`);
  }
  for (const [name, a] of now) if (!then.has(name)) changes.push(`${name}: new (pid ${a.pid})`);
  return changes;
}
