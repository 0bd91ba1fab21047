/**
 * What a container runs, without an image: `command` + `args` with `$(VAR)` expanded from
 * the container's environment (as the kubelet does). Holdfast's own image is the one image
 * the agent knows: its entrypoint `holdfast` (and a `command` that names it) runs this
 * checkout's CLI with the test's Node.js; its default arguments are the image's CMD.
 */
import { basename, join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { expand } from './container-env.ts';
import { NodeAgentError } from './errors.ts';

export const HOLDFAST = 'holdfast';
/** The Dockerfile's CMD. */
const HOLDFAST_IMAGE_CMD = ['operator'];

/** `registry:5000/org/holdfast:1.2@sha256:…` → `holdfast` */
export function imageName(image: string | undefined): string {
  const withoutDigest = (image ?? '').split('@')[0] ?? '';
  const last = withoutDigest.split('/').pop() ?? '';
  return last.split(':')[0] ?? '';
}

export interface ResolvedCommand {
  readonly argv: readonly string[];
  /** The working directory when the container names none: for Holdfast's image (WORKDIR /app) the checkout. */
  readonly defaultWorkingDir: string;
}

/** `holdfast …` → this checkout's CLI under the test's Node.js; other commands as they are. */
export function withHoldfastCli(argv: readonly string[], repoRoot: string): string[] {
  const first = argv[0] ?? '';
  return basename(first) === HOLDFAST ? [process.execPath, join(repoRoot, 'src', 'bin', 'holdfast.ts'), ...argv.slice(1)] : [...argv];
}

export function resolveCommand(container: V1Container, env: ReadonlyMap<string, string>, repoRoot: string): ResolvedCommand {
  const isHoldfastImage = imageName(container.image) === HOLDFAST;
  let command = container.command;
  let args = container.args;
  if (command === undefined || command.length === 0) {
    if (!isHoldfastImage) {
      throw new NodeAgentError('UNSUPPORTED_POD', `the node agent needs spec.containers[].command for image ${container.image ?? '(none)'} (container ${container.name}): it runs no images`);
    }
    command = [HOLDFAST];
    args ??= HOLDFAST_IMAGE_CMD;
  }
  const argv = [...command, ...(args ?? [])].map((a) => expand(a, env));
  const isHoldfastCli = basename(argv[0] ?? '') === HOLDFAST;
  return { argv: withHoldfastCli(argv, repoRoot), defaultWorkingDir: isHoldfastImage || isHoldfastCli ? repoRoot : '/' };
}
