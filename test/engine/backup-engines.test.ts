/**
 * The two engines that read, cut and seal a backup's files, the native addon on libuv's
 * pool (the default, ADR 0040) and the mover's worker threads, store the same chunks
 * under the same ids for the same files, and report unreadable files with the same words:
 * in one repository, what one engine backed up the other finds already stored.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '#src/core/clock.ts';
import { backupStream, backupTree } from '#src/mover/backup/backup.ts';
import { nativeSeal } from '#src/mover/backup/native-sealing.ts';
import { findNode } from '#src/mover/restore/dump.ts';
import { BackupSession } from '#src/mover/backup/session.ts';
import type { FileDone } from '#src/mover/worker/protocol.ts';
import { gearTable } from '#src/repo/chunker/fastcdc.ts';
import type { ChunkerParams } from '#src/repo/chunker/fastcdc.ts';
import type { Repository } from '#src/repo/repository.ts';
import { findSnapshot } from '#src/repo/snapshot/snapshot-store.ts';
import { checkClean, restore } from '../helpers/steps.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';
import { KiB, MiB, buildTree, compressible, mixed, put } from '../helpers/tree-builder.ts';
import { assertSameTree, scanTree } from '../helpers/tree-compare.ts';

const ENGINES = ['native', 'workers'] as const;
type Engine = (typeof ENGINES)[number];

/** Small chunks, so that every file below is cut many times (and one runs to maxSize). */
const SMALL: ChunkerParams = { minSize: 1 * KiB, avgSize: 4 * KiB, maxSize: 16 * KiB };
const DEFAULT: ChunkerParams = { minSize: 512 * KiB, avgSize: 1 * MiB, maxSize: 8 * MiB };

/** Runs `files` through one engine's FileRunner in a session of its own, and stores what it sealed. */
async function runFiles(repo: Repository, engine: Engine, profile: ChunkerParams, paths: readonly string[]): Promise<FileDone[]> {
  await repo.loadIndex();
  const session = new BackupSession(repo, { clock: systemClock, fileEngine: engine });
  const done: FileDone[] = [];
  try {
    await session.files.runFiles(profile, paths.map((path, index) => ({ index, path })), (f) => done.push(f));
    await session.pool.finishPacks();
    await session.sink.flush();
  } finally {
    await session.close();
  }
  return done.sort((a, b) => a.index - b.index);
}

/** A file's bytes again, from the blobs and holes of its content. */
async function reassemble(repo: Repository, content: FileDone['content']): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const ref of content) parts.push(typeof ref === 'number' ? Buffer.alloc(ref) : await repo.loadBlob(ref, 'data'));
  return Buffer.concat(parts);
}

describe('backup engines: native addon and worker threads', () => {
  let t: TestRepository;
  let files: string[];

  before(async () => {
    t = await createTestRepository({ packSize: 1 << 20 });
    const dir = t.path('files');
    const zeroRun = Buffer.concat([mixed(20 * KiB, 1), Buffer.alloc(50 * KiB), mixed(20 * KiB, 2), Buffer.alloc(3 * KiB)]);
    const content: Array<[string, Buffer]> = [
      ['random', mixed(300 * KiB, 3)], ['text', compressible(200 * KiB, 4)], ['zero-run', zeroRun], ['zeros', Buffer.alloc(40 * KiB)],
      ['empty', Buffer.alloc(0)], ['tiny', Buffer.from('ten bytes!')], ['at-min', mixed(SMALL.minSize, 5)],
      ['one-byte-value', Buffer.alloc(7 * MiB, 0x61)], ['twice-a', compressible(60 * KiB, 6)], ['twice-b', compressible(60 * KiB, 6)],
    ];
    for (const [name, bytes] of content) await put(join(dir, name), bytes);
    await mkdir(join(dir, 'a-directory'));
    files = [...content.map(([name]) => join(dir, name)), join(dir, 'missing'), join(dir, 'a-directory')];
  });
  after(() => t.cleanup());

  it('the native engine is built (else backups fall back to worker threads)', () => {
    assert.ok(nativeSeal(), 'holdfast-native has no sealFilesStart: run `npm install` (node-gyp)');
  });

  for (const profile of [SMALL, DEFAULT]) {
    it(`cut, name and report every file alike, chunks of ${profile.avgSize / KiB} KiB`, async () => {
      const [native, workers] = [await runFiles(await t.reopen(), 'native', profile, files), await runFiles(await t.reopen(), 'workers', profile, files)];
      assert.deepEqual(native, workers);
      assert.equal(native.length, files.length);
      const failed = native.filter((f) => f.error !== undefined).map((f) => f.error);
      assert.deepEqual(failed, [
        `ENOENT: no such file or directory, open '${files.at(-2)}'`,
        'EISDIR: illegal operation on a directory, read',
      ]);
      const repo = await t.reopen();
      for (const f of native.filter((d) => d.error === undefined)) {
        const path = files[f.index] as string;
        const original = await readFile(path);
        assert.equal(f.bytesRead, original.byteLength, path);
        assert.ok((await reassemble(repo, f.content)).equals(original), `${path} comes back from its blobs`);
      }
      const zeros = native[files.findIndex((p) => p.endsWith('/zeros'))];
      assert.deepEqual(zeros?.content, [40 * KiB], 'a file of zeros is one hole');
      if (profile === SMALL) assert.ok((native[0]?.content.length ?? 0) > 20, 'random bytes were cut many times');
    });
  }

  it('back up one tree to the same snapshot tree, the second engine storing nothing new', async () => {
    const src = t.path('src');
    await buildTree(src, { bigFileBytes: 6 << 20, sparseFileBytes: 9 << 20 });
    const manifest = await scanTree(src);
    const trees: string[] = [];
    // The addon, then the workers, then the addon again: the second and third find every chunk in the repository's known ids.
    for (const fileEngine of [...ENGINES, 'native'] as const) {
      const repo = await t.reopen();
      const r = await backupTree(repo, [src], { clock: systemClock, parent: false, fileEngine });
      assert.deepEqual(r.errors, []);
      if (trees.length > 0) assert.equal(r.summary.blobsNew, 0, `${fileEngine} found every chunk stored`);
      trees.push((await findSnapshot(repo, r.id)).tree);
    }
    assert.deepEqual(new Set(trees).size, 1);
    await checkClean(t.cli, { readData: true });
    const target = t.path('restored');
    await restore(t.cli, 'latest', target);
    await assertSameTree(manifest, join(target, 'src'));
  });

  for (const chunkProfile of ['fine', 'default'] as const) {
    it(`seal a stream to the same content list, ${chunkProfile} chunks, the second engine storing nothing new`, async () => {
      const stream = Buffer.concat([compressible(3 * MiB, 11), Buffer.alloc(2 * MiB), mixed(1 * MiB, 12), compressible(3 * MiB, 11)]);
      const name = `dump-${chunkProfile}.sql`;
      const contents: unknown[] = [];
      for (const fileEngine of ENGINES) {
        const repo = await t.reopen();
        const r = await backupStream(repo, Readable.from([stream.subarray(0, 5 * MiB), stream.subarray(5 * MiB)]), { clock: systemClock, filename: name, chunkProfile, fileEngine });
        // The second stores at most the stream's tree (its node's time is the backup's).
        if (fileEngine === 'workers') assert.ok(r.summary.blobsNew <= 1, `the worker threads found every chunk the addon stored: ${JSON.stringify(r.summary)}`);
        contents.push((await findNode(repo, await findSnapshot(repo, r.id), name)).content);
      }
      assert.deepEqual(contents[0], contents[1]);
      if (chunkProfile === 'fine') assert.ok((contents[0] as unknown[]).some((ref) => typeof ref === 'number'), 'the zero run is a hole');
      const dumped = await t.cli.run(['dump', 'latest', name]);
      assert.equal(dumped.code, 0);
      assert.ok(dumped.stdoutBytes.equals(stream), 'dump gives the stream back');
    });
  }

  it('a native job takes one call at a time, and bad arguments get one clear error', async () => {
    const native = nativeSeal();
    assert.ok(native);
    const repo = await t.reopen();
    const settings = [repo.key.encKey, repo.key.idKey, new Uint8Array(32 * 16), 3, 0] as const;
    const gear = new Uint8Array(gearTable(repo.key.chunkerSeed).buffer);
    const job = native.sealFilesStart(...settings, gear, SMALL.minSize, SMALL.avgSize, SMALL.maxSize, files.slice(0, 3));
    const out = Buffer.alloc(1 << 20);
    const first = native.sealFilesNext(job, out);
    assert.throws(() => native.sealFilesNext(job, Buffer.alloc(1 << 20)), /still busy/);
    assert.throws(() => native.sealFilesClose(job), /still busy/);
    const records = await first;
    assert.equal(records.readUInt32LE(records.byteLength - 56), 0, 'the last record says every file is done');
    native.sealFilesClose(job);
    assert.throws(() => native.sealFilesNext({}, out), /takes a job of sealFilesStart/);
    assert.throws(() => native.sealFilesStart(...settings, gear, 100, 300, 1000, []), /usable sizes/, 'an average that is not a power of two');
    await assert.rejects(native.sealChunks(...settings, Buffer.alloc(100), Buffer.from([0, 0, 0, 0, 200, 0, 0, 0]), Buffer.alloc(1000)), /outside the data/);
  });

  it('--workers bounds the native calls at once', async () => {
    const repo = await t.reopen();
    await repo.loadIndex();
    for (const workers of [1, 2]) {
      const session = new BackupSession(repo, { clock: systemClock, workers });
      try {
        const running = session.files.runFiles(SMALL, [{ index: 0, path: files[0] as string }], () => {});
        assert.equal(session.files.hasFree(), workers > 1, `${workers} worker(s): room for another batch`);
        await running;
        assert.ok(session.files.hasFree() && session.files.idle());
      } finally {
        await session.close();
      }
    }
  });
});
