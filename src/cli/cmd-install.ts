import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { HoldfastError, messageOf } from '../core/errors.ts';
import type { CliContext } from './context.ts';

/** Where the packaged manifests are: deploy/ beside src/. */
const DEPLOY_DIR = join(import.meta.dirname, '..', '..', 'deploy');

export function registerInstall(program: Command, ctx: CliContext): void {
  program
    .command('install')
    .description('print the manifests that install Holdfast (CRDs, RBAC, the operator): holdfast install | kubectl apply -f -')
    .option('--crds-only', 'only the CustomResourceDefinitions')
    .action(async (opts) => {
      const files = (await manifestFiles()).filter((f) => !opts.crdsOnly || f.startsWith('crds/'));
      ctx.stdout.write(files.map((f) => readManifest(f).trimEnd()).join('\n---\n') + '\n');
    });
}

/** The files `deploy/kustomization.yaml` lists, in its order (namespace, CRDs, RBAC, operator). */
async function manifestFiles(): Promise<string[]> {
  const { parse } = await import('yaml');
  const kustomization = parse(readManifest('kustomization.yaml')) as { resources?: unknown };
  if (!Array.isArray(kustomization.resources)) throw new HoldfastError('INTERNAL', `${join(DEPLOY_DIR, 'kustomization.yaml')} lists no resources`);
  return kustomization.resources.map(String);
}

function readManifest(file: string): string {
  try {
    return readFileSync(join(DEPLOY_DIR, file), 'utf8').replace(/^---\n/, '');
  } catch (err) {
    throw new HoldfastError('INTERNAL', `cannot read the manifest ${join(DEPLOY_DIR, file)}: ${messageOf(err)}`, { cause: err });
  }
}
