/** Option values shared by the cluster commands: lists, key=value pairs, selections, default names. */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { HoldfastError } from '../../core/errors.ts';

/** Adds --kubeconfig, --context and -n/--namespace to a cluster command. */
export function withKubeOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>, namespaceHelp: string) {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('-n, --namespace <namespace>', namespaceHelp);
}

/** `ns/name` or `name` (in `namespace`). */
export function splitRef(ref: string, namespace: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  return slash < 0 ? { namespace, name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

export interface SelectionOptions {
  selector?: string;
  includeKinds?: string;
  excludeKinds?: string;
}

/** Adds -l/--selector, --include-kinds and --exclude-kinds. */
export function selectionOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option('-l, --selector <labels>', 'only objects with these labels (key=value,…)')
    .option('--include-kinds <list>', 'only these kinds, comma-separated (Kind or Kind.group)')
    .option('--exclude-kinds <list>', 'leave out these kinds, comma-separated');
}

/** The Backup or Restore `selection` the options describe (labels, kinds). */
export function selectionFrom(opts: SelectionOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.selector) out.labelSelector = { matchLabels: keyValues(commaList(opts.selector), '--selector') };
  if (opts.includeKinds) out.includedKinds = commaList(opts.includeKinds);
  if (opts.excludeKinds) out.excludedKinds = commaList(opts.excludeKinds);
  return out;
}

export function commaList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

export function keyValues(pairs: readonly string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new HoldfastError('USAGE', `${option} wants key=value, not '${pair}'`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `<prefix>-<yyyymmddhhmmss>`, a valid object name. */
export function runName(prefix: string, at: Date): string {
  return `${prefix.slice(0, 48)}-${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}
