/**
 * Parsing objects and specs against the API schemas, with one clear error naming the
 * object and each offending field (`Backup team-a/nightly: spec.method: …`). Controllers
 * turn the error into an Accepted=False condition; the CLI prints it.
 */
import type { z } from 'zod';
import { HoldfastError } from '../../core/errors.ts';

const MAX_ISSUES = 5;

/** Parses `value` with `schema`; throws HoldfastError CONFIG_INVALID naming the object and fields. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = describeObject(value)): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HoldfastError('CONFIG_INVALID', `${what}: ${formatIssues(result.error.issues)}`, { cause: result.error });
}

/** `spec.hooks[0].exec.command: Too small: expected array to have >=1 items; …` */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  const lines = issues.flatMap((issue) => issueLines(issue, prefix));
  const shown = lines.slice(0, MAX_ISSUES);
  if (lines.length > MAX_ISSUES) shown.push(`and ${lines.length - MAX_ISSUES} more`);
  return shown.join('; ');
}

function issueLines(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...path, key])}: unknown field`);
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
    return best.flatMap((inner) => issueLines(inner, path));
  }
  return [`${formatPath(path) || '(object)'}: ${issue.message}`];
}

/** `spec.hooks[0].exec` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** `Backup team-a/nightly`, or what can be told of a malformed value. */
export function describeObject(value: unknown): string {
  const v = (value ?? {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const kind = typeof v.kind === 'string' ? v.kind : 'object';
  const name = typeof v.metadata?.name === 'string' ? v.metadata.name : undefined;
  const ns = typeof v.metadata?.namespace === 'string' ? v.metadata.namespace : undefined;
  if (name === undefined) return kind;
  return `${kind} ${ns ? `${ns}/` : ''}${name}`;
}
