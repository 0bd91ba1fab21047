/**
 * Parameters of a recipe file: `$(name)` in a step's command, URL, headers or body is
 * replaced by the value (`$$(` stays a literal `$(`; an unknown name is left as written,
 * as Kubernetes does for `$(VAR)` — the same rules as the operator's bindings). Values
 * come from `--param name=value`, else the parameter's default; `freezeTimeoutSeconds`
 * is built in (the freeze watchdog's timeout). A `--param` the recipe does not declare,
 * or a required parameter without a value, is a usage error.
 */
import { HoldfastError } from '../../core/errors.ts';
import type { RecipeFile } from './recipe-file.ts';

export type ParameterValues = Readonly<Record<string, string>>;

export const BUILT_IN_PARAMETERS = ['freezeTimeoutSeconds'] as const;

export function expand(text: string, values: ParameterValues): string {
  return text.replace(/\$(\$)?\(([A-Za-z_][A-Za-z0-9_.]*)\)/g, (whole, escaped: string | undefined, name: string) => {
    if (escaped) return whole.slice(1);
    return values[name] ?? whole;
  });
}

/** `name=value` pairs from the command line. */
export function parseParamFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new HoldfastError('USAGE', `--param '${f}': give name=value`);
    out[f.slice(0, eq)] = f.slice(eq + 1);
  }
  return out;
}

export function resolveParameters(recipe: RecipeFile, given: ParameterValues, builtIn: ParameterValues): ParameterValues {
  const declared = recipe.spec.parameters ?? [];
  const known = new Set<string>([...declared.map((p) => p.name), ...BUILT_IN_PARAMETERS]);
  const unknown = Object.keys(given).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const names = declared.map((p) => p.name).join(', ') || 'none';
    throw new HoldfastError('USAGE', `${recipe.source}: no parameter ${unknown.join(', ')} (the recipe's parameters: ${names})`);
  }
  const values: Record<string, string> = { ...builtIn };
  for (const p of declared) if (p.default !== undefined) values[p.name] = p.default;
  Object.assign(values, given);
  const missing = declared.filter((p) => p.required && values[p.name] === undefined).map((p) => p.name);
  if (missing.length > 0) throw new HoldfastError('USAGE', `${recipe.source}: give ${missing.map((m) => `--param ${m}=…`).join(' ')} (required)`);
  return values;
}
