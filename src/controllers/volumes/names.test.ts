import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupSnapshotName, boundedName, temporaryName, volumeLabel } from './names.ts';

const owner = { kind: 'backup' as const, uid: '0f5c2a8e-1111-2222-3333-444455556666' };

describe('names of temporary objects', () => {
  it('are DNS names within the limit, unique where cut', () => {
    assert.equal(boundedName(['holdfast-move', 'Data_DB.0', 'abc']), 'holdfast-move-data-db-0-abc');
    const long = boundedName(['x'.repeat(80), 'a']);
    const other = boundedName(['x'.repeat(80), 'b']);
    assert.equal(long.length, 63);
    assert.notEqual(long, other);
    assert.match(long, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });

  it('are the same for the same Backup and PVC (a restarted operator finds its objects)', () => {
    assert.equal(temporaryName(owner, 'app', 'data-db-0'), temporaryName(owner, 'app', 'data-db-0'));
    assert.notEqual(temporaryName(owner, 'app', 'data-db-0'), temporaryName(owner, 'app2', 'data-db-0'));
    assert.notEqual(temporaryName(owner, 'app', 'data-db-0'), temporaryName({ ...owner, uid: 'other' }, 'app', 'data-db-0'));
    assert.equal(backupSnapshotName('nightly', owner, 'data-db-0'), 'nightly-data-db-0-0f5c2a8e');
  });

  it('label a volume by namespace and claim within 63 characters', () => {
    assert.equal(volumeLabel('app', 'data-db-0'), 'app.data-db-0');
    const cut = volumeLabel('n'.repeat(40), 'c'.repeat(40));
    assert.equal(cut.length <= 63, true);
    assert.notEqual(cut, volumeLabel('n'.repeat(40), `${'c'.repeat(39)}d`));
    assert.match(cut, /^[a-z0-9][-a-z0-9_.]*[a-z0-9]$/);
  });
});
