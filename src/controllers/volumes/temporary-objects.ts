/**
 * Removing what the volume stages made for a while: mover Jobs (their pods go with them),
 * temporary PVCs, imported VolumeSnapshots and their contents — one volume's by name, or
 * every one of a Backup or Restore by its label (clean-up after success, failure, an
 * operator restart, or the deletion of the Backup). Removing what is gone already is fine.
 */
import { PATHS, type VolumeCluster } from './cluster.ts';
import { ownerSelector, type Owner } from './names.ts';
import { removeImport } from './snapshots.ts';

export type Which = { readonly namespace: string; readonly name: string } | { readonly namespace: string; readonly owner: Owner };

export async function removeTemporaryObjects(cluster: VolumeCluster, which: Which): Promise<void> {
  const { namespace } = which;
  if ('name' in which) {
    await removeNamed(cluster, namespace, which.name);
    return;
  }
  const selector = ownerSelector(which.owner);
  for (const job of await cluster.list(PATHS.jobs(namespace), selector)) await cluster.remove(PATHS.jobs(namespace), job.metadata?.name ?? '');
  for (const claim of await cluster.list(PATHS.claims(namespace), selector)) await cluster.remove(PATHS.claims(namespace), claim.metadata?.name ?? '');
  for (const snap of await cluster.list(PATHS.snapshots(namespace), selector)) await cluster.remove(PATHS.snapshots(namespace), snap.metadata?.name ?? '');
  // Imported contents are Retain: deleting them leaves the storage snapshot to its owner.
  for (const content of await cluster.list(PATHS.contents(), selector)) await cluster.remove(PATHS.contents(), content.metadata?.name ?? '');
}

async function removeNamed(cluster: VolumeCluster, namespace: string, name: string): Promise<void> {
  await cluster.remove(PATHS.jobs(namespace), name);
  await cluster.remove(PATHS.claims(namespace), name);
  await removeImport(cluster, namespace, name);
}
