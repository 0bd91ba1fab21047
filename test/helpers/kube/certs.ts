/**
 * Key material of a test control plane, made with openssl: one CA that signs the
 * apiserver's serving certificate (and CSRs, through the controller-manager), a
 * service-account signing key, and a static token file. Tokens are the only client
 * credentials: the admin is in `system:masters`; extra users are fixed at start time
 * because kube-apiserver reads the token file once.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ADMIN_USER = 'admin';
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

/** A user for RBAC tests: authenticated by token, authorized only by what RBAC grants. */
export interface TestUser {
  readonly name: string;
  readonly groups?: readonly string[];
}

export interface ControlPlaneKeys {
  readonly caCert: string;
  readonly caKey: string;
  readonly caPem: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** The service-account signing key (private) and its public half, which verifies tokens. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly tokenFile: string;
  /** User name → bearer token, for the admin, the controller-manager and every extra user. */
  readonly tokens: ReadonlyMap<string, string>;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim()}`, { cause: err });
  }
}

async function ecKey(path: string): Promise<void> {
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

async function makeCa(dir: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, 'ca.key');
  const cert = join(dir, 'ca.crt');
  await ecKey(key);
  await openssl([
    'req', '-x509', '-new', '-key', key, '-subj', '/CN=holdfast-test-ca', '-days', '3650', '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

/** Valid for https://127.0.0.1 and https://localhost, and for the in-cluster service names. */
async function makeServingCert(dir: string, ca: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const key = join(dir, 'serving.key');
  const csr = join(dir, 'serving.csr');
  const cert = join(dir, 'serving.crt');
  const ext = join(dir, 'serving.ext');
  const names = ['IP:127.0.0.1', 'IP:10.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc'];
  await writeFile(ext, [
    `subjectAltName=${names.join(',')}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n'));
  await ecKey(key);
  await openssl(['req', '-new', '-key', key, '-subj', '/CN=kube-apiserver', '-out', csr]);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '365', '-extfile', ext, '-out', cert,
  ]);
  return { cert, key };
}

function tokenLine(token: string, user: string, groups: readonly string[]): string {
  const uid = `uid-${user.replaceAll(':', '-')}`;
  return groups.length === 0 ? `${token},${user},${uid}` : `${token},${user},${uid},"${groups.join(',')}"`;
}

function checkUsers(users: readonly TestUser[]): void {
  const seen = new Set([ADMIN_USER, CONTROLLER_MANAGER_USER]);
  for (const user of users) {
    if (seen.has(user.name)) throw new Error(`test user ${user.name} is defined twice or is reserved`);
    if (/[",\s]/.test(user.name) || (user.groups ?? []).some((g) => /[",\s]/.test(g))) {
      throw new Error(`test user ${user.name}: names and groups may not hold commas, quotes or spaces`);
    }
    seen.add(user.name);
  }
}

async function writeTokenFile(path: string, users: readonly TestUser[]): Promise<Map<string, string>> {
  const all: TestUser[] = [
    { name: ADMIN_USER, groups: ['system:masters'] },
    // An admin: the controllers share this identity instead of one service account each
    // (--use-service-account-credentials), which costs five seconds of start-up.
    { name: CONTROLLER_MANAGER_USER, groups: ['system:masters'] },
    ...users,
  ];
  const tokens = new Map<string, string>();
  const lines: string[] = [];
  for (const user of all) {
    const token = randomBytes(24).toString('hex');
    tokens.set(user.name, token);
    lines.push(tokenLine(token, user.name, user.groups ?? []));
  }
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return tokens;
}

export async function makeControlPlaneKeys(dir: string, users: readonly TestUser[]): Promise<ControlPlaneKeys> {
  checkUsers(users);
  const serviceAccountKey = join(dir, 'service-account.key');
  const serviceAccountPublicKey = join(dir, 'service-account.pub');
  const tokenFile = join(dir, 'tokens.csv');
  const [ca, tokens] = await Promise.all([makeCa(dir), writeTokenFile(tokenFile, users), ecKey(serviceAccountKey)]);
  const serving = await makeServingCert(dir, ca);
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPublicKey]);
  const caPem = await readFile(ca.cert, 'utf8');
  return { caCert: ca.cert, caKey: ca.key, caPem, servingCert: serving.cert, servingKey: serving.key, serviceAccountKey, serviceAccountPublicKey, tokenFile, tokens };
}
