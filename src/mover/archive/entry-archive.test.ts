import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { createTestRepository, type TestRepository } from '../../../test/helpers/test-repository.ts';
import { checkClean } from '../../../test/helpers/steps.ts';
import { archiveEntries, readEntries, type ArchiveEntry } from './entry-archive.ts';

let t: TestRepository;
before(async () => {
  t = await createTestRepository();
});
after(async () => {
  await t.cleanup();
});

const entries = (n: number, variant = ''): ArchiveEntry[] =>
  Array.from({ length: n }, (_, i) => ({ path: `resources/configmaps/namespaces/ns${i % 3}/cm-${i}.json`, data: Buffer.from(JSON.stringify({ i, variant: i === 0 ? variant : '', pad: 'x'.repeat(i * 50) })) }));

describe('entry archive', () => {
  it('stores files as a resources snapshot and reads them back in path order', async () => {
    const input = entries(40);
    const { id, manifest } = await archiveEntries(t.repo, input, { clock: systemClock, root: '/kubernetes/test', labels: { cluster: 'a' }, tags: ['resources'] });
    assert.equal(manifest.kind, 'resources');
    assert.equal(manifest.summary.files, 40);
    const back = await readEntries(t.repo, id);
    const sorted = [...input].sort((a, b) => (a.path < b.path ? -1 : 1));
    assert.deepEqual(back.map((e) => e.path), sorted.map((e) => e.path));
    back.forEach((e, i) => assert.ok(e.data.equals(sorted[i]?.data ?? Buffer.alloc(0)), e.path));
    await checkClean(t.cli, { readData: true });
  });

  it('stores only what changed in the next archive', async () => {
    await archiveEntries(t.repo, entries(40), { clock: systemClock, root: '/kubernetes/test' });
    const { manifest } = await archiveEntries(t.repo, entries(40, 'changed'), { clock: systemClock, root: '/kubernetes/test' });
    assert.ok(manifest.summary.blobsNew <= 6, `new blobs ${manifest.summary.blobsNew}`);
  });
});
