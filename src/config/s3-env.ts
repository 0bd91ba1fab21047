/**
 * S3 settings from the environment, read once. Credentials come from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) when both are set; otherwise the AWS SDK's
 * default chain (shared config files, web identity, instance metadata) finds them.
 */
import { readFileSync } from 'node:fs';
import { HoldfastError, messageOf } from '../core/errors.ts';

export interface S3Settings {
  readonly region: string | undefined;
  readonly pathStyle: boolean | undefined;
  readonly caBundle: string | undefined;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string | undefined } | undefined;
  readonly connections: number | undefined;
}

export function readS3Settings(env: NodeJS.ProcessEnv): S3Settings {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if ((id === undefined) !== (secret === undefined)) {
    throw new HoldfastError('CONFIG_INVALID', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
  }
  const caFile = env.HOLDFAST_S3_CA_FILE ?? env.AWS_CA_BUNDLE;
  return {
    region: env.HOLDFAST_S3_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    pathStyle: parseBool('HOLDFAST_S3_PATH_STYLE', env.HOLDFAST_S3_PATH_STYLE),
    caBundle: caFile ? readCaFile(caFile) : undefined,
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined,
    connections: parseCount('HOLDFAST_S3_CONNECTIONS', env.HOLDFAST_S3_CONNECTIONS),
  };
}

function parseBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new HoldfastError('CONFIG_INVALID', `${name} must be true or false, not '${value}'`);
}

function parseCount(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new HoldfastError('CONFIG_INVALID', `${name} must be a whole number from 1 to 1024, not '${value}'`);
  return n;
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new HoldfastError('CONFIG_INVALID', `cannot read the S3 CA bundle ${path}: ${messageOf(err)}`, { cause: err });
  }
}
