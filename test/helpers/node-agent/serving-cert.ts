/**
 * The self-signed serving certificate of the agent's kubelet endpoints. The test
 * kube-apiserver has no `--kubelet-certificate-authority`, so it does not verify it, just
 * as many clusters do not.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function makeServingCert(dir: string, nodeName: string): Promise<{ cert: string; key: string }> {
  const keyPath = join(dir, 'kubelet.key');
  const certPath = join(dir, 'kubelet.crt');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath,
    '-days', '365', '-subj', `/CN=${nodeName}`, '-addext', `subjectAltName=IP:127.0.0.1,DNS:${nodeName}`,
  ]);
  return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
}
