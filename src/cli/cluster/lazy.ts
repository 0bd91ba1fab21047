/**
 * The cluster client, loaded on first use: @kubernetes/client-node and its dependencies
 * cost ~80 MB and ~0.4 s to load, which no repository command should pay.
 */
export function cluster(): Promise<typeof import('./kube-target.ts')> {
  return import('./kube-target.ts');
}
