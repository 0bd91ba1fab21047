/**
 * Chunking throughput on one thread: `node src/repo/chunker/fastcdc.bench.ts [MiB]`.
 * Prints MB/s (10^6 bytes/s, as in docs/STACK) for random and text-like input, with
 * the chunk count, mean size and coefficient of variation. Not a test.
 */
import { Chunker, DEFAULT_PARAMS, FINE_PARAMS, chunkAll, gearTable, type ChunkerParams } from './fastcdc.ts';
import { randomBytesSeeded, textCorpus } from './test-corpus.ts';

const ROUNDS = 7;

const gear = gearTable(new Uint8Array(32).fill(7));

function measure(label: string, data: Uint8Array, params: ChunkerParams): void {
  const chunker = new Chunker(params, gear);
  const sizes: number[] = [];
  for (const [start, end] of chunkAll(data, chunker)) sizes.push(end - start);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    let start = 0;
    while (start < data.length) start = chunker.cut(data, start, data.length, true);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(ROUNDS / 2)]!;
  const mean = data.length / sizes.length;
  const cv = Math.sqrt(sizes.reduce((s, x) => s + (x - mean) ** 2, 0) / sizes.length) / mean;
  const mbps = data.length / 1e6 / (median / 1000);
  console.log(
    `${label.padEnd(22)} ${mbps.toFixed(0).padStart(6)} MB/s (median of ${ROUNDS})  ` +
      `${sizes.length} chunks, mean ${(mean / 1024).toFixed(0)} KiB, CV ${(cv * 100).toFixed(0)}%`,
  );
}

const mib = Number(process.argv[2] ?? 256);
const random = randomBytesSeeded(mib * 1024 * 1024, 1);
const text = textCorpus(mib * 1024 * 1024, 2);
measure('random, default', random, DEFAULT_PARAMS);
measure('text, default', text, DEFAULT_PARAMS);
measure('random, fine', random, FINE_PARAMS);
measure('text, fine', text, FINE_PARAMS);
