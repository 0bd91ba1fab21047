/**
 * kube-apiserver and kube-controller-manager of a test control plane, built by
 * scripts/install-kube.sh into the tool cache. The apiserver serves HTTPS on 127.0.0.1
 * with static tokens and RBAC; the controller-manager runs every default controller under
 * one admin identity (not a service account per controller as kubeadm does: that takes
 * five more seconds to start), without leader election and without a serving port, so any
 * number of control planes can run at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlPlaneKeys } from './certs.ts';
import { CONTROLLER_MANAGER_USER } from './certs.ts';
import { httpsGet, kubeconfigYaml } from './kubeconfig.ts';
import type { HttpsTarget } from './kubeconfig.ts';
import { startServerProcess, uniqueFreePort, waitFor } from './server-process.ts';
import type { ServerProcess } from './server-process.ts';

export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

let binDir: string | undefined;

function kubeBinary(name: string): string {
  binDir ??= process.env.HOLDFAST_KUBE_BIN_DIR
    ?? execFileSync(fileURLToPath(new URL('../../../scripts/install-kube.sh', import.meta.url)), ['--print-bin-dir'], { encoding: 'utf8' }).trim();
  const path = join(binDir, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/install-kube.sh (builds kube-apiserver and kube-controller-manager)`);
  return path;
}

export interface ApiServer {
  readonly server: string;
  readonly process: ServerProcess;
}

function apiServerArgs(dir: string, keys: ControlPlaneKeys, etcdUrl: string, port: number): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${dir}`,
    `--tls-cert-file=${keys.servingCert}`,
    `--tls-private-key-file=${keys.servingKey}`,
    `--client-ca-file=${keys.caCert}`,
    `--token-auth-file=${keys.tokenFile}`,
    '--authorization-mode=RBAC',
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${keys.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${keys.serviceAccountKey}`,
    '--allow-privileged=true',
    // The `kubernetes` Service gets no endpoints: endpoint addresses may not be loopback,
    // and nothing in these clusters could reach it from a pod anyway.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
  ];
}

export async function startApiServer(dir: string, keys: ControlPlaneKeys, etcdUrl: string, adminToken: string): Promise<ApiServer> {
  const port = await uniqueFreePort();
  const server = `https://127.0.0.1:${port}`;
  const proc = startServerProcess('kube-apiserver', kubeBinary('kube-apiserver'), apiServerArgs(dir, keys, etcdUrl, port), join(dir, 'kube-apiserver.log'));
  const target: HttpsTarget = { server, caPem: keys.caPem, token: adminToken };
  await waitFor('kube-apiserver /readyz', async () => ((await httpsGet(target, '/readyz')).status === 200 ? true : undefined), {
    timeoutMs: 90_000,
    processes: [proc],
  });
  return { server, process: proc };
}

export async function startControllerManager(dir: string, keys: ControlPlaneKeys, server: string): Promise<ServerProcess> {
  const token = keys.tokens.get(CONTROLLER_MANAGER_USER) ?? '';
  const kubeconfig = join(dir, 'kube-controller-manager.kubeconfig');
  await writeFile(kubeconfig, kubeconfigYaml({ server, caPem: keys.caPem, user: CONTROLLER_MANAGER_USER, token }), { mode: 0o600 });
  const args = [
    `--kubeconfig=${kubeconfig}`,
    '--secure-port=0',
    '--leader-elect=false',
    `--service-account-private-key-file=${keys.serviceAccountKey}`,
    `--root-ca-file=${keys.caCert}`,
    `--cluster-signing-cert-file=${keys.caCert}`,
    `--cluster-signing-key-file=${keys.caKey}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--controllers=*',
    '--profiling=false',
  ];
  return startServerProcess('kube-controller-manager', kubeBinary('kube-controller-manager'), args, join(dir, 'kube-controller-manager.log'));
}

/** The controller-manager is working once it has given the default namespace its service account. */
export async function waitForDefaultServiceAccount(target: HttpsTarget, processes: readonly ServerProcess[]): Promise<void> {
  await waitFor('the default service account', async () => {
    const res = await httpsGet(target, '/api/v1/namespaces/default/serviceaccounts/default');
    return res.status === 200 ? true : undefined;
  }, { timeoutMs: 90_000, processes });
}
