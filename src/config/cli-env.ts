/**
 * The CLI's view of the environment, read once at start-up. Nothing else in the program
 * reads process.env; everything downstream receives these resolved values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoldfastError, messageOf } from '../core/errors.ts';
import { readS3Settings, type S3Settings } from './s3-env.ts';

export interface CliEnvironment {
  readonly repository: string | undefined;
  readonly password: string | undefined;
  readonly passwordFile: string | undefined;
  /** The source repository of `copy` and `init --copy-params-from`. */
  readonly fromRepository: string | undefined;
  readonly fromPassword: string | undefined;
  readonly fromPasswordFile: string | undefined;
  readonly kdfCost: 'default' | 'test';
  readonly isTty: boolean;
  readonly s3: S3Settings;
  /** $KUBECONFIG, for the commands that talk to a cluster. */
  readonly kubeconfig: string | undefined;
  /** $HOME, where ~/.kube/config is looked for. */
  readonly home: string | undefined;
  /** The environment commands started by holdfast (database clients, hooks) inherit. */
  readonly inherited: Readonly<Record<string, string | undefined>>;
  /** Where repositories' local caches live: $XDG_CACHE_HOME/holdfast, else ~/.cache/holdfast. */
  readonly cacheDir?: string | undefined;
}

export function readCliEnvironment(env: NodeJS.ProcessEnv, isTty: boolean): CliEnvironment {
  const cost = env.HOLDFAST_KDF_COST ?? 'default';
  if (cost !== 'default' && cost !== 'test') {
    throw new HoldfastError('CONFIG_INVALID', `HOLDFAST_KDF_COST must be 'default' or 'test', not '${cost}'`);
  }
  return {
    repository: env.HOLDFAST_REPOSITORY || undefined,
    password: env.HOLDFAST_PASSWORD ?? undefined,
    passwordFile: env.HOLDFAST_PASSWORD_FILE || undefined,
    fromRepository: env.HOLDFAST_FROM_REPOSITORY || undefined,
    fromPassword: env.HOLDFAST_FROM_PASSWORD ?? undefined,
    fromPasswordFile: env.HOLDFAST_FROM_PASSWORD_FILE || undefined,
    kdfCost: cost,
    isTty,
    s3: readS3Settings(env),
    kubeconfig: env.KUBECONFIG || undefined,
    home: env.HOME || undefined,
    inherited: { ...env },
    cacheDir: cacheDirOf(env),
  };
}

function cacheDirOf(env: NodeJS.ProcessEnv): string | undefined {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'holdfast');
  return env.HOME ? join(env.HOME, '.cache', 'holdfast') : undefined;
}

export function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `cannot read the password file ${path}: ${messageOf(err)}`, { cause: err });
  }
}
