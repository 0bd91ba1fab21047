/**
 * A throwaway MinIO server for S3 integration tests: the pinned build from
 * scripts/install-minio.sh, single drive in a fresh temp folder, API and console on free
 * 127.0.0.1 ports. stop() kills it and removes the folder; it is also killed when the
 * test process exits, and (through setpriv's parent-death signal) when the test process
 * is killed outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { freePort } from '../../scripts/lib/postgres.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Minio {
  readonly endpoint: string;
  readonly region: 'us-east-1';
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface MinioOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Extra MINIO_* settings for the server's environment. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

const installScript = new URL('../../scripts/install-minio.sh', import.meta.url);

export function pinnedMinioVersion(): string {
  const m = /^version="([^"]+)"$/m.exec(readFileSync(installScript, 'utf8'));
  if (!m?.[1]) throw new Error('scripts/install-minio.sh names no version="..."');
  return m[1];
}

export function minioBinary(): string {
  const cache = process.env.HOLDFAST_CACHE ?? join(homedir(), '.cache', 'holdfast-dev');
  const version = pinnedMinioVersion();
  const bin = join(cache, 'minio', version, 'minio');
  if (!existsSync(bin)) throw new Error(`MinIO ${version} not found at ${bin}: run scripts/install-minio.sh`);
  return bin;
}

async function twoFreePorts(): Promise<[number, number]> {
  const api = await freePort();
  let console = await freePort();
  while (console === api) console = await freePort();
  return [api, console];
}

/** Runs `bin` so that it gets SIGKILL when this process dies, where setpriv is available. */
function spawnTiedToParent(bin: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
  return spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitLive(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`minio exited (${child.exitCode ?? child.signalCode}) before it was live:\n${output()}`);
    }
    try {
      const res = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(25);
  }
  throw new Error(`minio was not live at ${endpoint} within ${timeoutMs} ms:\n${output()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startMinio(options: MinioOptions = {}): Promise<Minio> {
  const bin = minioBinary();
  const accessKeyId = options.accessKeyId ?? 'holdfast-root';
  const secretAccessKey = options.secretAccessKey ?? 'holdfast-root-secret';
  const [apiPort, consolePort] = await twoFreePorts();
  const base = await mkdtemp(join(tmpdir(), 'holdfast-minio-'));
  const dataDir = join(base, 'data');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: base,
    MINIO_ROOT_USER: accessKeyId,
    MINIO_ROOT_PASSWORD: secretAccessKey,
    MINIO_BROWSER: 'off',
    MINIO_UPDATE: 'off',
    MINIO_CALLHOME_ENABLE: 'off',
    ...options.env,
  };
  const args = ['server', '--quiet', '--address', `127.0.0.1:${apiPort}`, '--console-address', `127.0.0.1:${consolePort}`,
    '--certs-dir', join(base, 'certs'), dataDir];
  const child = spawnTiedToParent(bin, args, env);
  let output = '';
  const collect = (b: Buffer): void => {
    output = (output + b.toString()).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${apiPort}`;
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await stopChild(child);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    await waitLive(endpoint, child, () => output, options.startTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, dataDir, stop };
}

/** An S3 client for the server (or for a proxy in front of it, via `endpoint`). */
export function s3Client(minio: Minio, opts: { endpoint?: string; credentials?: S3Credentials } = {}): S3Client {
  return new S3Client({
    endpoint: opts.endpoint ?? minio.endpoint,
    region: minio.region,
    credentials: opts.credentials ?? { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createBucket(minio: Minio, name: string, opts: { objectLock?: boolean } = {}): Promise<void> {
  const client = s3Client(minio);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: opts.objectLock === true }));
  } finally {
    client.destroy();
  }
}

/**
 * Temporary credentials from STS AssumeRole whose rights are the root user's narrowed by
 * the inline session policy `policyJson` (an IAM policy document, as a string or object).
 */
export async function restrictedCredentials(minio: Minio, policyJson: string | object, durationSeconds = 3600): Promise<S3Credentials> {
  const sts = new STSClient({
    endpoint: minio.endpoint,
    region: minio.region,
    credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
  });
  try {
    const out = await sts.send(new AssumeRoleCommand({
      RoleArn: 'arn:minio:iam:::role/holdfast-test',
      RoleSessionName: 'holdfast-test',
      Policy: typeof policyJson === 'string' ? policyJson : JSON.stringify(policyJson),
      DurationSeconds: durationSeconds,
    }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('MinIO AssumeRole returned no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** A session policy that allows every S3 action on `bucket` except deleting objects. */
export function appendOnlyPolicy(bucket: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:*'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] },
      { Effect: 'Deny', Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'], Resource: [`arn:aws:s3:::${bucket}/*`] },
    ],
  };
}
