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
import type { FileDone, FromWorker, ToWorker, WorkerBoot, WorkerSetup } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker-main must run in a worker thread');
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
/** File results travel this many to a message. */
const FILES_PER_MESSAGE = 512;

/** What a worker holds once it has its setup (keys, shared id sets, pack settings). */
interface Tools {
  readonly sealer: BlobSealer;
  readonly checker: BlobChecker;
  readonly packs: WorkerPackWriter;
  readonly reader: FileReader;
  readonly gear: Uint32Array;
  readonly chunkers: Map<string, Chunker>;
}

function toolsFor(setup: WorkerSetup): Tools {
  const keys = { encKey: Buffer.from(setup.encKey), idKey: Buffer.from(setup.idKey) };
  const sealer = new BlobSealer(keys, setup.compression, KnownIdSet.from(setup.known), ClaimSet.from(setup.claims));
  const packs = new WorkerPackWriter(setup.packs, keys.encKey, post);
  return {
    sealer, packs, checker: new BlobChecker(keys, new BlobOpener(keys)), reader: new FileReader(sealer, packs),
    gear: gearTable(setup.chunkerSeed), chunkers: new Map(),
  };
}

function chunkerFor({ chunkers, gear }: Tools, p: ChunkerParams): Chunker {
  const key = `${p.minSize}/${p.avgSize}/${p.maxSize}`;
  let c = chunkers.get(key);
  if (!c) chunkers.set(key, (c = new Chunker(p, gear)));
  return c;
}

function runFiles(tools: Tools, task: Extract<ToWorker, { kind: 'files' }>): void {
  const chunker = chunkerFor(tools, task.profile);
  let done: FileDone[] = [];
  for (const file of task.files) {
    try {
      const { content, bytesRead } = tools.reader.read(file.path, chunker, task.profile.maxSize);
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

function runChunks({ packs, sealer }: Tools, task: Extract<ToWorker, { kind: 'chunks' }>): void {
  const refs: Array<{ seq: number; ref: ContentRef }> = [];
  for (const { seq, offset, length } of task.chunks) {
    const chunk = task.data.subarray(offset, offset + length);
    if (isAllZero(chunk)) {
      refs.push({ seq, ref: length });
      continue;
    }
    packs.waitForCredit();
    const r = sealer.prepare(chunk, 'data', 'stream');
    packs.add(r);
    refs.push({ seq, ref: r.id });
  }
  releaseBuffer(new Uint8Array(task.data.buffer)); // the slab is a view of the whole read buffer
  post({ kind: 'chunks', task: task.task, refs });
}

function serve(tools: Tools, msg: ToWorker): void {
  const { packs, checker } = tools;
  packs.task = msg.task;
  if (msg.kind === 'files') runFiles(tools, msg);
  else if (msg.kind === 'finish-pack') packs.finish();
  else if (msg.kind === 'chunks') runChunks(tools, msg);
  else if (msg.kind === 'verify') post({ kind: 'verified', task: msg.task, damaged: verifyBlobs(checker, msg.data, msg.blobs) });
  else {
    post({ kind: 'restored', task: msg.task, ...runRestore(checker, msg) });
    for (const r of msg.ranges) releaseBuffer(r.data);
  }
}

function listen(tools: Tools): void {
  port?.on('message', (msg: ToWorker) => {
    try {
      serve(tools, msg);
      post({ kind: 'done', task: msg.task });
    } catch (err) {
      post({ kind: 'failed', task: msg.task, message: messageOf(err), ...(isHoldfastError(err) ? { code: err.code } : {}) });
    }
  });
}

// A worker started ahead of its pool (prewarmWorkers) gets its setup as the first message.
if (workerData) listen(toolsFor(workerData as WorkerSetup));
else port.once('message', (msg: WorkerBoot) => listen(toolsFor(msg.setup)));
