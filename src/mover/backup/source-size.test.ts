import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sourceSize } from './backup.ts';

/** A loop device over `file`, or undefined where loop devices cannot be made (not root, no losetup). */
function loopDevice(file: string): string | undefined {
  try {
    return execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

describe('sourceSize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-size-'));
  const image = join(dir, 'disk.img');
  writeFileSync(image, '');
  truncateSync(image, 8 << 20);
  const device = loopDevice(image);
  after(() => {
    if (device !== undefined) execFileSync('losetup', ['-d', device]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the size of an image file', () => {
    assert.equal(sourceSize(image), 8 << 20);
  });

  it('is the size of a block device, whose stat size is 0', { skip: device === undefined ? 'no loop device can be made here' : false }, () => {
    assert.equal(sourceSize(device ?? ''), 8 << 20);
  });
});
