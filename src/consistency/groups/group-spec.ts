/**
 * A consistency group file (YAML) as users write it, and its resolved form. Members are
 * databases named by URL; `paths` are files and directories (the application's uploads,
 * say) captured as one snapshot inside the same pause window. The group is paused by the
 * members' native freezes (unless a member says `freeze: false`) and by optional
 * pause/resume commands, which run on this machine with a detached watchdog that resumes
 * when the timeout passes. A probe command lists the application's processes before and
 * after the pause.
 *
 * ```yaml
 * name: scalardb
 * clockSkewMargin: 2s
 * timeout: 5m
 * members:
 *   - url: postgres://app@db1:5432/coordinator
 *   - url: mariadb://app@db2:3306/orders
 *     freeze: false
 * paths: [/srv/shop/uploads]
 * pause:  { command: [scalar-admin, pause] }
 * resume: { command: [scalar-admin, unpause] }
 * probe:  { shell: "kubectl get pods -o json | jq -c '…'" }
 * ```
 */
import { parse } from 'yaml';
import { z } from 'zod';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import { actionSchema } from '../executors/action-spec.ts';
import type { ActionSpec } from '../executors/action-spec.ts';

const localCommand = z.union([
  z.strictObject({ command: z.array(z.string()).min(1) }),
  z.strictObject({ shell: z.string().min(1) }),
]);

const duration = z.union([z.number().nonnegative(), z.string()]);

export const groupFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i, 'letters, digits, ".", "_" and "-"'),
  members: z.array(z.strictObject({ url: z.string().min(1), freeze: z.boolean().default(true) })).default([]),
  paths: z.array(z.string().min(1)).min(1).optional(),
  pause: localCommand.optional(),
  resume: localCommand.optional(),
  probe: actionSchema.optional(),
  clockSkewMargin: duration.default('0s'),
  timeout: duration.default('10m'),
});
export type GroupFile = z.input<typeof groupFileSchema>;

export interface GroupMember {
  readonly url: string;
  readonly freeze: boolean;
}

export interface GroupSpec {
  readonly name: string;
  readonly members: readonly GroupMember[];
  /** Files and directories captured (as one snapshot) inside the pause window. */
  readonly paths?: readonly string[];
  /** argv of the pause and resume commands; both or neither. */
  readonly pause?: { readonly pause: readonly string[]; readonly resume: readonly string[] };
  readonly probe?: ActionSpec;
  readonly clockSkewMarginMs: number;
  /** Longest pause; the freezes' watchdogs end it then. */
  readonly timeoutMs: number;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `2s`, `500ms`, `5m`, `1h`, or a number of seconds. */
export function parseDuration(value: string | number, field: string): number {
  if (typeof value === 'number') return value * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(value.trim());
  if (!m?.[1] || !m[2]) throw new HoldfastError('CONFIG_INVALID', `${field}: '${value}' is not a duration (e.g. 2s, 500ms, 5m)`);
  return Number(m[1]) * (UNITS[m[2]] ?? 1000);
}

function argvOf(c: z.infer<typeof localCommand>): readonly string[] {
  return 'command' in c ? c.command : ['/bin/sh', '-c', c.shell];
}

/** Parses a group file's text; `source` names it in messages. */
export function parseGroupFile(text: string, source: string): GroupSpec {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `${source}: not valid YAML: ${messageOf(err)}`, { cause: err });
  }
  const r = groupFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HoldfastError('CONFIG_INVALID', `${source}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  const g = r.data;
  if (g.members.length === 0 && !g.paths) throw new HoldfastError('CONFIG_INVALID', `${source}: members: Too small: expected array to have >=1 items (or give paths)`);
  if ((g.pause === undefined) !== (g.resume === undefined)) throw new HoldfastError('CONFIG_INVALID', `${source}: give both pause and resume, or neither`);
  return {
    name: g.name,
    members: g.members,
    ...(g.paths ? { paths: g.paths } : {}),
    ...(g.pause && g.resume ? { pause: { pause: argvOf(g.pause), resume: argvOf(g.resume) } } : {}),
    ...(g.probe ? { probe: g.probe } : {}),
    clockSkewMarginMs: parseDuration(g.clockSkewMargin, 'clockSkewMargin'),
    timeoutMs: parseDuration(g.timeout, 'timeout'),
  };
}
