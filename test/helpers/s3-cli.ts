/** The `holdfast` command against an S3 repository, with the server's keys in its environment. */
import { cliFor, type Cli } from './cli.ts';
import type { Minio } from './minio.ts';

export function s3Cli(m: Minio, location: string, extra: Record<string, string> = {}, password = 'pw-s3'): Cli {
  const cli = cliFor(location, password);
  const env = { AWS_ACCESS_KEY_ID: m.accessKeyId, AWS_SECRET_ACCESS_KEY: m.secretAccessKey, ...extra };
  return {
    env: { ...cli.env, ...env },
    run: (args, opts = {}) => cli.run(args, { ...opts, env: { ...env, ...opts.env } }),
    start: (args, opts = {}) => cli.start(args, { ...opts, env: { ...env, ...opts.env } }),
  };
}
