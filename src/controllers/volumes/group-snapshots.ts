/**
 * VolumeGroupSnapshots (`groupsnapshot.storage.k8s.io`): one cut across several PVCs.
 *
 *   group    the planned PVCs of one namespace on one CSI driver (a VolumeGroupSnapshot is
 *            namespaced and its class names one driver), cut by one VolumeGroupSnapshot
 *   members  the VolumeSnapshots the snapshot-controller makes for it, one per PVC: owned
 *            by the group, named `snapshot-<hash>`, and deletable only with the group
 *
 * A VolumeGroupSnapshot chooses its PVCs by a label selector. When the Backup's
 * `volumes.claimSelector` matches exactly the group's PVCs in that namespace, that selector
 * is used and nothing is written to the PVCs; otherwise each PVC of the group gets the
 * temporary label `holdfast.dev/group-snapshot=<group name>`, removed as soon as the group
 * is bound to its content (the snapshot-controller has then fixed the list of volumes) and
 * again by the clean-up, whatever happened. The decision is in ADR 0020.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HoldfastError } from '../../core/errors.ts';
import type { BackupVolumeStatus } from '../../k8s/api/backup.ts';
import type { LabelSelector } from '../../k8s/api/selectors.ts';
import { labelSelectorQuery } from '../../k8s/resources/filters.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';
import { boundedName } from './names.ts';
import type { SnapshotJson } from './snapshots.ts';

const GROUP_API = 'groupsnapshot.storage.k8s.io';
/** external-snapshotter v8.6+ works on v1; older releases serve v1beta2 or v1beta1, with the same fields used here. */
const VERSIONS = ['v1', 'v1beta2', 'v1beta1'] as const;
const DEFAULT_CLASS_ANNOTATION = 'groupsnapshot.storage.kubernetes.io/is-default-class';
export const GROUP_SNAPSHOT_LABEL = 'holdfast.dev/group-snapshot';

export const groupSnapshotsPath = (version: string, namespace: string): string => `/apis/${GROUP_API}/${version}/namespaces/${namespace}/volumegroupsnapshots`;

interface ClassJson extends JsonObject {
  driver?: string;
}

interface GroupJson extends JsonObject {
  status?: { boundVolumeGroupSnapshotContentName?: string; creationTime?: string; readyToUse?: boolean; error?: { message?: string } };
}

interface MemberJson extends SnapshotJson {
  metadata?: SnapshotJson['metadata'] & { ownerReferences?: Array<{ kind?: string; name?: string; uid?: string }> };
  spec?: { source?: { persistentVolumeClaimName?: string } };
}

/** A VolumeGroupSnapshotClass and the API version it was found in (the group snapshot is made in the same). */
export interface GroupClass {
  readonly name: string;
  readonly version: string;
}

/**
 * The class for a driver's group snapshots: the one named (it must exist and be the
 * driver's), else the driver's default (or its only class); undefined when the driver has
 * none, i.e. it offers no group snapshots.
 */
export async function groupSnapshotClassFor(cluster: VolumeCluster, driver: string, named: string | undefined): Promise<GroupClass | undefined> {
  for (const version of VERSIONS) {
    const classes = await cluster.list<ClassJson>(PATHS.groupSnapshotClasses(version));
    if (classes.length === 0) continue;
    if (named !== undefined) {
      const cls = classes.find((c) => c.metadata?.name === named);
      if (cls === undefined) break;
      if (cls.driver !== driver) throw new HoldfastError('CONFIG_INVALID', `VolumeGroupSnapshotClass ${named} is for driver ${cls.driver ?? '(none)'}, not ${driver}`);
      return { name: named, version };
    }
    const mine = classes.filter((c) => c.driver === driver);
    const chosen = mine.find((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') ?? (mine.length === 1 ? mine[0] : undefined);
    if (mine.length > 1 && chosen === undefined) {
      throw new HoldfastError('CONFIG_INVALID', `CSI driver ${driver} has ${mine.length} VolumeGroupSnapshotClasses and none is the default: set spec.volumes.volumeGroupSnapshotClassName or mark one with ${DEFAULT_CLASS_ANNOTATION}`);
    }
    return chosen?.metadata?.name === undefined ? undefined : { name: chosen.metadata.name, version };
  }
  if (named !== undefined) throw new HoldfastError('CONFIG_INVALID', `VolumeGroupSnapshotClass ${named} does not exist`);
  return undefined;
}

/** One VolumeGroupSnapshot to cut: its name, class and the volumes (status entries) it takes. */
export interface GroupCut {
  readonly namespace: string;
  readonly driver: string;
  readonly name: string;
  readonly groupClass: GroupClass;
  readonly volumes: readonly BackupVolumeStatus[];
}

/** The group snapshot of a Backup for one namespace and driver: readable, unique per Backup, and a valid label value. */
export function groupSnapshotName(backupName: string, backupUid: string, driver: string): string {
  return boundedName([backupName, 'group', driver, backupUid.slice(0, 8)], 63);
}

/** The groups of `volumes`, by namespace and driver, for the drivers `classes` gives a class. */
export function groupsOf(volumes: readonly BackupVolumeStatus[], classes: ReadonlyMap<string, GroupClass | undefined>, name: (driver: string) => string): GroupCut[] {
  const groups = new Map<string, GroupCut & { volumes: BackupVolumeStatus[] }>();
  for (const v of volumes) {
    const driver = v.driver ?? '';
    const groupClass = classes.get(driver);
    if (groupClass === undefined) continue;
    const key = `${v.namespace}\0${driver}`;
    const g = groups.get(key) ?? { namespace: v.namespace, driver, name: name(driver), groupClass, volumes: [] };
    g.volumes.push(v);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/**
 * Creates the group's VolumeGroupSnapshot (create-or-reuse: a resumed run finds it),
 * choosing its PVCs by the claim selector when that matches exactly them, else by a
 * temporary label put on each.
 */
export async function startGroupCut(cluster: VolumeCluster, g: GroupCut, o: { claimSelector: LabelSelector | undefined; labels: Record<string, string> }): Promise<void> {
  let selector = await sharedSelector(cluster, g, o.claimSelector);
  if (selector === undefined) {
    for (const v of g.volumes) await cluster.mergePatch(PATHS.claims(g.namespace), v.claimName, { metadata: { labels: { [GROUP_SNAPSHOT_LABEL]: g.name } } });
    selector = { matchLabels: { [GROUP_SNAPSHOT_LABEL]: g.name } };
  }
  await cluster.create(groupSnapshotsPath(g.groupClass.version, g.namespace), {
    apiVersion: `${GROUP_API}/${g.groupClass.version}`,
    kind: 'VolumeGroupSnapshot',
    metadata: { name: g.name, namespace: g.namespace, labels: o.labels },
    spec: { volumeGroupSnapshotClassName: g.groupClass.name, source: { selector } },
  });
}

/** The claim selector, when the PVCs it matches in the namespace (in any phase) are exactly the group's. */
async function sharedSelector(cluster: VolumeCluster, g: GroupCut, claimSelector: LabelSelector | undefined): Promise<LabelSelector | undefined> {
  const query = labelSelectorQuery(claimSelector);
  if (claimSelector === undefined || query === undefined) return undefined;
  const matched = (await cluster.list(PATHS.claims(g.namespace), query)).map((c) => c.metadata?.name ?? '').sort();
  const wanted = g.volumes.map((v) => v.claimName).sort();
  return matched.length === wanted.length && matched.every((n, i) => n === wanted[i]) ? claimSelector : undefined;
}

/**
 * Waits until the group is cut (bound to its content, with a creation time) and has a
 * member VolumeSnapshot for each of its PVCs; the temporary labels are dropped once it is
 * bound. Returns the member's name per claim.
 */
export async function waitForGroupCut(cluster: VolumeCluster, g: GroupCut, o: { deadline: number; signal: AbortSignal }): Promise<Map<string, string>> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    o.signal.throwIfAborted();
    const members = await cutMembers(cluster, g);
    if (members !== undefined && g.volumes.every((v) => members.has(v.claimName))) return members;
    if (Date.now() > o.deadline) throw new HoldfastError('TIMEOUT', `VolumeGroupSnapshot ${g.namespace}/${g.name} was not cut in time (members: ${[...(members?.keys() ?? [])].join(', ') || 'none yet'})`);
    await sleep(delay, undefined, { signal: o.signal });
  }
}

/** The members so far once the group is cut (undefined before); drops the temporary labels once it is bound; an error the group reports fails at once. */
async function cutMembers(cluster: VolumeCluster, g: GroupCut): Promise<Map<string, string> | undefined> {
  const group = await cluster.get<GroupJson>(groupSnapshotsPath(g.groupClass.version, g.namespace), g.name);
  if (group === undefined) throw new HoldfastError('OBJECT_NOT_FOUND', `VolumeGroupSnapshot ${g.namespace}/${g.name} disappeared`);
  const st = group.status ?? {};
  if (st.error?.message) throw new HoldfastError('COMMAND_FAILED', `VolumeGroupSnapshot ${g.namespace}/${g.name}: ${st.error.message}`);
  if (st.boundVolumeGroupSnapshotContentName === undefined) return undefined;
  await releaseClaimLabels(cluster, g.namespace, g.volumes.map((v) => v.claimName), g.name);
  return st.creationTime !== undefined || st.readyToUse === true ? membersOf(cluster, g, group.metadata?.uid ?? '') : undefined;
}

async function membersOf(cluster: VolumeCluster, g: GroupCut, uid: string): Promise<Map<string, string>> {
  const members = new Map<string, string>();
  for (const s of await cluster.list<MemberJson>(PATHS.snapshots(g.namespace))) {
    const owned = (s.metadata?.ownerReferences ?? []).some((r) => r.kind === 'VolumeGroupSnapshot' && r.uid === uid);
    const claim = s.spec?.source?.persistentVolumeClaimName;
    if (owned && claim && s.metadata?.name) members.set(claim, s.metadata.name);
  }
  return members;
}

/** Removes the temporary group label from the claims that still carry it with this group's name; absent claims are fine. */
export async function releaseClaimLabels(cluster: VolumeCluster, namespace: string, claims: readonly string[], group: string): Promise<void> {
  for (const claim of claims) {
    const pvc = await cluster.get(PATHS.claims(namespace), claim);
    if (pvc?.metadata?.labels?.[GROUP_SNAPSHOT_LABEL] === group) await cluster.mergePatch(PATHS.claims(namespace), claim, { metadata: { labels: { [GROUP_SNAPSHOT_LABEL]: null } } });
  }
}

/**
 * Deletes a Backup's VolumeSnapshots: a group's members go with their VolumeGroupSnapshot
 * (deleted once; the snapshot-controller deletes the members), others one by one.
 * Temporary group labels left by an interrupted cut are removed too.
 */
export async function removeBackupSnapshots(cluster: VolumeCluster, volumes: readonly BackupVolumeStatus[]): Promise<void> {
  const groups = new Map<string, { namespace: string; name: string; claims: string[] }>();
  for (const v of volumes) {
    if (v.volumeGroupSnapshotName !== undefined) {
      const key = `${v.namespace}/${v.volumeGroupSnapshotName}`;
      const g = groups.get(key) ?? { namespace: v.namespace, name: v.volumeGroupSnapshotName, claims: [] };
      g.claims.push(v.claimName);
      groups.set(key, g);
    } else if (v.volumeSnapshotName !== undefined) {
      await cluster.remove(PATHS.snapshots(v.namespace), v.volumeSnapshotName);
    }
  }
  for (const g of groups.values()) {
    await releaseClaimLabels(cluster, g.namespace, g.claims, g.name);
    for (const version of VERSIONS) await cluster.remove(groupSnapshotsPath(version, g.namespace), g.name);
  }
}
