/**
 * Client access to a test control plane: kubeconfig documents (bearer token + the test
 * CA) and a small HTTPS GET for readiness probes that must not depend on the client
 * library under test.
 */
import { request } from 'node:https';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  readonly token: string;
  readonly contextName?: string;
}

export function kubeconfigYaml(input: KubeconfigInput): string {
  const context = input.contextName ?? 'holdfast-test';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster: { server: input.server, 'certificate-authority-data': Buffer.from(input.caPem).toString('base64') } }],
    users: [{ name: input.user, user: { token: input.token } }],
    contexts: [{ name: context, context: { cluster: context, user: input.user } }],
    'current-context': context,
  });
}

export interface HttpsTarget {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
}

/** GET `path` and resolve with the status code and body; rejects only on transport errors. */
export async function httpsGet(target: HttpsTarget, path: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, target.server), {
      method: 'GET',
      ca: target.caPem,
      headers: { authorization: `Bearer ${target.token}` },
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
