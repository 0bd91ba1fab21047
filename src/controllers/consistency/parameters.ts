/**
 * Recipe parameters: `$(name)` in a step's command, URL, headers, body or Job arguments
 * is replaced by the parameter's value (`$$(` stays a literal `$(`; an unknown name is
 * left as written, as Kubernetes does for `$(VAR)`). Values taken from Secrets are
 * secret: they are blanked out of every message, status field and log line.
 */
import type { Action } from '../../k8s/api/actions.ts';
import { expand as expandValues } from '../../consistency/recipes/recipe-params.ts';

export interface Parameters {
  readonly values: Readonly<Record<string, string>>;
  /** Values that came from Secrets. */
  readonly secrets: readonly string[];
}

export const NO_PARAMETERS: Parameters = { values: {}, secrets: [] };

/** The rules of the CLI's recipe files (consistency/recipes/recipe-params.ts), with these parameters. */
export function expand(text: string, p: Parameters): string {
  return expandValues(text, p.values);
}

/** The action with every parameter inserted. */
export function expandAction(a: Action, p: Parameters): Action {
  const map = (xs: readonly string[] | undefined): string[] | undefined => xs?.map((x) => expand(x, p));
  const out: Action = { ...a };
  if (a.exec) out.exec = { ...a.exec, command: map(a.exec.command) ?? [] };
  if (a.http) {
    out.http = { ...a.http, url: expand(a.http.url, p) };
    if (a.http.body !== undefined) out.http.body = expand(a.http.body, p);
    if (a.http.headers) out.http.headers = Object.fromEntries(Object.entries(a.http.headers).map(([k, v]) => [k, expand(v, p)]));
  }
  if (a.job) {
    out.job = { ...a.job };
    if (a.job.command) out.job.command = map(a.job.command);
    if (a.job.args) out.job.args = map(a.job.args);
    if (a.job.env) out.job.env = a.job.env.map((e) => (e.value === undefined ? e : { ...e, value: expand(e.value, p) }));
  }
  return out;
}

/** `text` with every secret value replaced by `***`. */
export function redact(text: string, p: Parameters): string {
  let out = text;
  for (const s of p.secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

export function mergeParameters(...ps: readonly Parameters[]): Parameters {
  return { values: Object.assign({}, ...ps.map((p) => p.values)) as Record<string, string>, secrets: ps.flatMap((p) => p.secrets) };
}
