import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { backupSourceArgs, exposedVolumeMode, moveModeOf, restoreTargetArgs } from './move-mode.ts';

const claim = (volumeMode: 'Block' | 'Filesystem') => ({ namespace: 'app', claimName: 'disk', volumeMode });

describe('move mode', () => {
  it('follows the PVC volumeMode on auto and is forced by block', () => {
    const cases = [
      { volumeMode: 'Filesystem', requested: 'auto', mode: 'filesystem', exposed: 'Filesystem', args: ['--path', '/data'] },
      { volumeMode: 'Block', requested: 'auto', mode: 'block', exposed: 'Block', args: ['--device', '/dev/holdfast-volume'] },
      { volumeMode: 'Block', requested: undefined, mode: 'block', exposed: 'Block', args: ['--device', '/dev/holdfast-volume'] },
      { volumeMode: 'Filesystem', requested: 'block', mode: 'block', exposed: 'Block', args: ['--device', '/dev/holdfast-volume'] },
      { volumeMode: 'Filesystem', requested: 'filesystem', mode: 'filesystem', exposed: 'Filesystem', args: ['--path', '/data'] },
    ] as const;
    for (const c of cases) {
      const v = claim(c.volumeMode);
      const mode = moveModeOf(v, c.requested);
      assert.equal(mode, c.mode, JSON.stringify(c));
      assert.equal(exposedVolumeMode(v, mode), c.exposed);
      assert.deepEqual(backupSourceArgs(mode), c.args);
    }
  });

  it('refuses filesystem for a Block PVC', () => {
    assert.throws(() => moveModeOf(claim('Block'), 'filesystem'), (err) => isHoldfastError(err, 'CONFIG_INVALID') && /PVC app\/disk is a Block volume/.test(err.message));
  });

  it('restores a Block PVC through its device', () => {
    assert.deepEqual(restoreTargetArgs('Block'), { mode: 'block', args: ['--device', '/dev/holdfast-volume'] });
    assert.deepEqual(restoreTargetArgs(undefined), { mode: 'filesystem', args: ['--target', '/data'] });
  });
});
