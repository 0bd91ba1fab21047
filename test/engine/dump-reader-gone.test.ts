/**
 * `holdfast dump` into a reader that stops early (e.g. `| head -c`, or a database loader
 * that exits without reading its input) ends at once with an error, instead of waiting
 * forever for room in a pipe nobody reads.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError } from '#src/core/errors.ts';
import { dumpFile, findNode } from '#src/mover/restore/dump.ts';
import { loadSnapshot } from '#src/repo/snapshot/snapshot-store.ts';
import { show } from '../helpers/cli.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

describe('dump into a reader that goes away', () => {
  let t: TestRepository;
  let id = '';

  before(async () => {
    t = await createTestRepository();
    await t.cli.run(['init']);
    const r = await t.cli.run(['backup', '--stdin', '--json'], { input: randomBytes(24 << 20) });
    assert.equal(r.code, 0, show(r));
    id = /"snapshot_id":"([0-9a-f]+)"/.exec(r.stdout)?.[1] ?? '';
    assert.notEqual(id, '');
  });
  after(() => t.cleanup());

  it('the CLI ends promptly when its stdout is closed after a few bytes (as `| head` does)', async () => {
    const child = t.cli.start(['dump', id]);
    const first = await new Promise<Buffer>((resolve) => child.stdout.once('data', resolve));
    assert.ok(first.byteLength > 0);
    child.stdout.destroy();
    const started = Date.now();
    await new Promise((resolve) => child.once('exit', resolve));
    assert.ok(Date.now() - started < 15_000, 'dump ended promptly');
  });

  it('dumpFile rejects with INTERRUPTED when the reader is destroyed mid-stream', async () => {
    const repo = await t.reopen();
    const node = await findNode(repo, await loadSnapshot(repo, id), '');
    const out = new PassThrough({ highWaterMark: 1024 });
    out.once('data', () => out.destroy());
    await assert.rejects(dumpFile(repo, node, out), (err: unknown) => isHoldfastError(err) && err.code === 'INTERRUPTED');
  });
});
