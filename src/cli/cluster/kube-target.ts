/**
 * How the cluster commands (`backup create|list|describe`, `restore create|list|describe`)
 * reach a cluster — loaded only by those commands (client-node is heavy) —: a kubeconfig (--kubeconfig, else $KUBECONFIG, else ~/.kube/config, else
 * the in-cluster service account), an optional context, and the namespace to work in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import { HoldfastObjects } from '../../k8s/client/custom-objects.ts';
import type { CliContext } from '../context.ts';

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface KubeTarget {
  readonly kc: KubeConfig;
  readonly objects: HoldfastObjects;
  /** The namespace the command works in: --namespace, else the context's, else default. */
  readonly namespace: string;
}

export function kubeTarget(ctx: CliContext, opts: KubeOptions): KubeTarget {
  const kc = loadKubeConfig(ctx, opts);
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return { kc, objects: new HoldfastObjects(kc, 'holdfast-cli'), namespace: opts.namespace ?? contextNamespace ?? 'default' };
}

function loadKubeConfig(ctx: CliContext, opts: KubeOptions): KubeConfig {
  const kc = new KubeConfig();
  const file = opts.kubeconfig ?? ctx.env.kubeconfig ?? (ctx.env.home ? join(ctx.env.home, '.kube', 'config') : undefined);
  try {
    if (file !== undefined && existsSync(file)) kc.loadFromFile(file);
    else if (opts.kubeconfig !== undefined || ctx.env.kubeconfig !== undefined) throw new Error(`${file ?? ''} does not exist`);
    else kc.loadFromCluster();
    if (opts.context) kc.setCurrentContext(opts.context);
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `cannot load the kubeconfig${file ? ` ${file}` : ''}: ${messageOf(err)}`, { cause: err });
  }
  if (kc.getCurrentCluster() === null) throw new HoldfastError('CONFIG_INVALID', `kubeconfig${file ? ` ${file}` : ''} has no cluster for context '${kc.getCurrentContext()}'`);
  return kc;
}

/** The repository to use: the one named, else the only BackupRepository of the cluster. */
export async function chooseRepository(objects: HoldfastObjects, named: string | undefined): Promise<string> {
  if (named) return named;
  const all = await objects.listAll('backuprepositories');
  const names = all.map((r) => r.metadata?.name ?? '');
  if (names.length === 1 && names[0]) return names[0];
  throw new HoldfastError('USAGE', names.length === 0 ? 'the cluster has no BackupRepository; create one first' : `the cluster has ${names.length} BackupRepositories (${names.join(', ')}): pass --repository NAME`);
}
