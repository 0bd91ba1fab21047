/** Entry point of a mover worker thread: sets up keys and serves tasks in order. */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf, isHoldfastError } from '../../core/errors.ts';
import { releaseBuffer } from '../../core/buffers.ts';
import { Chunker, gearTable } from '../../repo/chunker/fastcdc.ts';
import type { ChunkerParams } from '../../repo/chunker/fastcdc.ts';
import { BlobSealer, isAllZero } from '../../repo/blob-sealer.ts';
import { BlobOpener } from '../../repo/blob-opener.ts';
import { KnownIdSet } from '../../repo/index/known-set.ts';
import { ClaimSet } from '../../repo/index/claim-set.ts';
import type { ContentRef } from '../../repo/tree/tree.ts';
import { FileReader } from './file-reader.ts';
import { WorkerPackWriter } from './pack-writer.ts';
import { runRestore } from './restore-writer.ts';
import { verifyBlobs } from './verify-blobs.ts';
import { BlobChecker } from './blob-checker.ts';
import type { FileDone, FromWorker, ToWorker, WorkerSetup } from './protocol.ts';

const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('worker-main must run in a worker thread');
const keys = { encKey: Buffer.from(setup.encKey), idKey: Buffer.from(setup.idKey) };
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
const sealer = new BlobSealer(keys, setup.compression, KnownIdSet.from(setup.known), ClaimSet.from(setup.claims));
const opener = new BlobOpener(keys);
const checker = new BlobChecker(keys, opener);
const packs = new WorkerPackWriter(setup.packs, keys.encKey, post);
const reader = new FileReader(sealer, packs);
/** File results travel this many to a message. */
const FILES_PER_MESSAGE = 512;
const gear = gearTable(setup.chunkerSeed);
const chunkers = new Map<string, Chunker>();

function chunkerFor(p: ChunkerParams): Chunker {
  const key = `${p.minSize}/${p.avgSize}/${p.maxSize}`;
  let c = chunkers.get(key);
  if (!c) chunkers.set(key, (c = new Chunker(p, gear)));
  return c;
}

function runFiles(task: Extract<ToWorker, { kind: 'files' }>): void {
  const chunker = chunkerFor(task.profile);
  let done: FileDone[] = [];
  for (const file of task.files) {
    try {
      const { content, bytesRead } = reader.read(file.path, chunker, task.profile.maxSize);
      done.push({ index: file.index, content, bytesRead });
    } catch (err) {
      if (isHoldfastError(err) && err.code === 'STORAGE_IO') throw err; // the pack, not the file: the task fails
      done.push({ index: file.index, content: [], bytesRead: 0, error: messageOf(err) });
    }
    if (done.length >= FILES_PER_MESSAGE) {
      post({ kind: 'files', task: task.task, files: done });
      done = [];
    }
  }
  if (done.length > 0) post({ kind: 'files', task: task.task, files: done });
}

function runChunks(task: Extract<ToWorker, { kind: 'chunks' }>): void {
  const refs: Array<{ seq: number; ref: ContentRef }> = [];
  for (const chunk of task.chunks) {
    if (isAllZero(chunk.data)) {
      refs.push({ seq: chunk.seq, ref: chunk.data.byteLength });
      continue;
    }
    packs.waitForCredit();
    const r = sealer.seal(chunk.data, 'data');
    packs.add(r);
    refs.push({ seq: chunk.seq, ref: r.id });
  }
  post({ kind: 'chunks', task: task.task, refs });
}

function serve(msg: ToWorker): void {
  packs.task = msg.task;
  if (msg.kind === 'files') runFiles(msg);
  else if (msg.kind === 'finish-pack') packs.finish();
  else if (msg.kind === 'chunks') runChunks(msg);
  else if (msg.kind === 'verify') post({ kind: 'verified', task: msg.task, damaged: verifyBlobs(checker, msg.data, msg.blobs) });
  else {
    post({ kind: 'restored', task: msg.task, ...runRestore(checker, msg) });
    for (const r of msg.ranges) releaseBuffer(r.data);
  }
}

port.on('message', (msg: ToWorker) => {
  try {
    serve(msg);
    post({ kind: 'done', task: msg.task });
  } catch (err) {
    post({ kind: 'failed', task: msg.task, message: messageOf(err), ...(isHoldfastError(err) ? { code: err.code } : {}) });
  }
});
