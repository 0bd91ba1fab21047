import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupVolumeStatus } from '../../k8s/api/backup.ts';
import { PATHS, type JsonObject, type VolumeCluster } from './cluster.ts';
import { GROUP_SNAPSHOT_LABEL, groupsOf, groupSnapshotClassFor, groupSnapshotName, groupSnapshotsPath, removeBackupSnapshots, startGroupCut, type GroupCut } from './group-snapshots.ts';

/** Collections of objects by API path; list filters on `k=v` selectors only. */
function fakeCluster(objects: Record<string, JsonObject[]>): VolumeCluster & { removed: string[] } {
  const removed: string[] = [];
  const at = (collection: string): JsonObject[] => (objects[collection] ??= []);
  return {
    removed,
    get: async <T>(collection: string, name: string) => at(collection).find((o) => o.metadata?.name === name) as T | undefined,
    list: async <T>(collection: string, selector?: string) => {
      const terms = (selector ?? '').split(',').filter(Boolean).map((t) => t.split('='));
      return at(collection).filter((o) => terms.every(([k = '', v]) => o.metadata?.labels?.[k] === v)) as T[];
    },
    create: async (collection, body) => {
      if (at(collection).some((o) => o.metadata?.name === body.metadata?.name)) return false;
      at(collection).push(body);
      return true;
    },
    remove: async (collection, name) => {
      removed.push(`${collection}/${name}`);
    },
    mergePatch: async (collection, name, patch) => {
      const o = at(collection).find((x) => x.metadata?.name === name);
      const labels = (patch as { metadata: { labels: Record<string, string | null> } }).metadata.labels;
      if (o === undefined) return;
      const next = { ...o.metadata?.labels, ...labels };
      for (const [k, v] of Object.entries(next)) if (v === null) delete next[k];
      o.metadata = { ...o.metadata, labels: next as Record<string, string> };
    },
    podLog: async () => undefined,
  };
}

const cls = (name: string, driver: string, isDefault = false): JsonObject => ({ metadata: { name, ...(isDefault ? { annotations: { 'groupsnapshot.storage.kubernetes.io/is-default-class': 'true' } } : {}) }, driver });
const volume = (namespace: string, claimName: string, driver = 'd'): BackupVolumeStatus => ({ namespace, claimName, driver, method: 'snapshot', phase: 'Pending' });
const claim = (name: string, labels: Record<string, string>): JsonObject => ({ metadata: { name, labels } });

describe('groupSnapshotClassFor', () => {
  const table: Array<{ name: string; classes: Record<string, JsonObject[]>; named?: string; want?: { name: string; version: string }; error?: RegExp }> = [
    { name: 'no class: no group snapshots', classes: {}, want: undefined },
    { name: 'the only class of the driver', classes: { v1: [cls('a', 'd'), cls('b', 'other')] }, want: { name: 'a', version: 'v1' } },
    { name: 'the default among several', classes: { v1: [cls('a', 'd'), cls('b', 'd', true)] }, want: { name: 'b', version: 'v1' } },
    { name: 'several and no default', classes: { v1: [cls('a', 'd'), cls('b', 'd')] }, error: /has 2 VolumeGroupSnapshotClasses and none is the default/ },
    { name: 'an older served version', classes: { v1beta1: [cls('a', 'd')] }, want: { name: 'a', version: 'v1beta1' } },
    { name: 'a named class', classes: { v1: [cls('a', 'd'), cls('b', 'd', true)] }, named: 'a', want: { name: 'a', version: 'v1' } },
    { name: 'a named class of another driver', classes: { v1: [cls('a', 'other')] }, named: 'a', error: /VolumeGroupSnapshotClass a is for driver other, not d/ },
    { name: 'a named class that does not exist', classes: { v1: [cls('a', 'd')] }, named: 'x', error: /VolumeGroupSnapshotClass x does not exist/ },
  ];
  for (const t of table) {
    it(t.name, async () => {
      const cluster = fakeCluster(Object.fromEntries(Object.entries(t.classes).map(([v, items]) => [PATHS.groupSnapshotClasses(v), items])));
      const got = groupSnapshotClassFor(cluster, 'd', t.named);
      if (t.error) await assert.rejects(got, t.error);
      else assert.deepEqual(await got, t.want);
    });
  }
});

describe('group cuts', () => {
  const groupClass = { name: 'gc', version: 'v1' };

  it('groups volumes by namespace and driver, for drivers with a class', () => {
    const volumes = [volume('a', 'x'), volume('a', 'y'), volume('b', 'z'), volume('a', 'w', 'plain')];
    const groups = groupsOf(volumes, new Map([['d', groupClass], ['plain', undefined]]), (driver) => `g-${driver}`);
    assert.deepEqual(groups.map((g) => `${g.namespace} ${g.name} ${g.volumes.map((v) => v.claimName).join(',')}`), ['a g-d x,y', 'b g-d z']);
  });

  it('names a group per backup and driver, within a label value', () => {
    assert.equal(groupSnapshotName('nightly', '1234abcd-0000', 'hostpath.csi.k8s.io'), 'nightly-group-hostpath-csi-k8s-io-1234abcd');
    assert.ok(groupSnapshotName('n'.repeat(80), '1234abcd', 'd').length <= 63);
  });

  const table: Array<{ name: string; claims: JsonObject[]; selector?: { matchLabels: Record<string, string> }; want: object; labelled: string[] }> = [
    { name: 'a claim selector matching exactly the group is used as is', claims: [claim('x', { app: 'db' }), claim('y', { app: 'db' })], selector: { matchLabels: { app: 'db' } }, want: { matchLabels: { app: 'db' } }, labelled: [] },
    { name: 'a claim selector matching more PVCs: temporary labels', claims: [claim('x', { app: 'db' }), claim('y', { app: 'db' }), claim('z', { app: 'db' })], selector: { matchLabels: { app: 'db' } }, want: { matchLabels: { [GROUP_SNAPSHOT_LABEL]: 'g' } }, labelled: ['x', 'y'] },
    { name: 'no claim selector: temporary labels', claims: [claim('x', {}), claim('y', {})], want: { matchLabels: { [GROUP_SNAPSHOT_LABEL]: 'g' } }, labelled: ['x', 'y'] },
  ];
  for (const t of table) {
    it(t.name, async () => {
      const cluster = fakeCluster({ [PATHS.claims('a')]: t.claims });
      const g: GroupCut = { namespace: 'a', driver: 'd', name: 'g', groupClass, volumes: [volume('a', 'x'), volume('a', 'y')] };
      await startGroupCut(cluster, g, { claimSelector: t.selector, labels: { 'holdfast.dev/backup': 'u' } });
      const [made] = await cluster.list<JsonObject>(groupSnapshotsPath('v1', 'a'));
      assert.deepEqual(made?.spec, { volumeGroupSnapshotClassName: 'gc', source: { selector: t.want } });
      const labelled = (await cluster.list<JsonObject>(PATHS.claims('a'), `${GROUP_SNAPSHOT_LABEL}=g`)).map((c) => c.metadata?.name);
      assert.deepEqual(labelled, t.labelled);
    });
  }

  it('removal deletes a group once, single snapshots one by one, and the temporary labels', async () => {
    const cluster = fakeCluster({ [PATHS.claims('a')]: [claim('x', { [GROUP_SNAPSHOT_LABEL]: 'g' }), claim('y', { [GROUP_SNAPSHOT_LABEL]: 'other' })] });
    await removeBackupSnapshots(cluster, [
      { ...volume('a', 'x'), volumeGroupSnapshotName: 'g', volumeSnapshotName: 'snapshot-1' },
      { ...volume('a', 'y'), volumeGroupSnapshotName: 'g', volumeSnapshotName: 'snapshot-2' },
      { ...volume('a', 'z'), volumeSnapshotName: 'single' },
    ]);
    assert.deepEqual(cluster.removed, [`${PATHS.snapshots('a')}/single`, ...['v1', 'v1beta2', 'v1beta1'].map((v) => `${groupSnapshotsPath(v, 'a')}/g`)]);
    const labels = (await cluster.list<JsonObject>(PATHS.claims('a'))).map((c) => c.metadata?.labels?.[GROUP_SNAPSHOT_LABEL]);
    assert.deepEqual(labels, [undefined, 'other'], "only this group's label goes");
  });
});
