/**
 * Deterministic inputs for chunker tests and the benchmark: a seeded PRNG, random
 * bytes, and a text-like corpus (words, punctuation, line structure) whose low
 * entropy and repetition are closer to source trees and SQL dumps than noise is.
 */

/** mulberry32: a small, fast 32-bit PRNG; the same seed always gives the same stream. */
export function prng(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomBytesSeeded(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return new Uint8Array(words.buffer, 0, length);
}

const VOCABULARY = (
  'the of and to in is that for it as with was on be by this are from or which an at ' +
  'backup restore snapshot chunk repository index pack blob key select insert update ' +
  'values table where null true false return const function export import if else'
).split(' ');

/** Pseudo-text: lines of vocabulary words, some numbers, commas and periods. */
export function textCorpus(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(length);
  let pos = 0;
  let lineLength = 0;
  while (pos < length) {
    const roll = next();
    const word = roll % 7 === 0 ? String(roll % 100000) : VOCABULARY[roll % VOCABULARY.length]!;
    const separator = lineLength > 60 + (roll % 40) ? '.\n' : roll % 11 === 0 ? ', ' : ' ';
    lineLength = separator.endsWith('\n') ? 0 : lineLength + word.length + separator.length;
    pos += writeAscii(out, pos, word + separator);
  }
  return out;
}

function writeAscii(out: Uint8Array, pos: number, text: string): number {
  const n = Math.min(text.length, out.length - pos);
  for (let i = 0; i < n; i++) out[pos + i] = text.charCodeAt(i);
  return n;
}

export type EditKind = 'insert' | 'delete' | 'modify';

/** Applies `count` edits of 1–16 bytes of the given kind at seeded random positions. */
export function applyEdits(data: Uint8Array, kind: EditKind, count: number, seed: number): Uint8Array {
  const next = prng(seed);
  let current = data;
  for (let e = 0; e < count; e++) {
    const at = next() % (current.length - 16);
    const n = 1 + (next() % 16);
    const bytes = Uint8Array.from({ length: n }, () => next() & 0xff);
    current = applyEdit(current, kind, at, bytes);
  }
  return current;
}

function applyEdit(data: Uint8Array, kind: EditKind, at: number, bytes: Uint8Array): Uint8Array {
  if (kind === 'modify') {
    const copy = data.slice();
    for (let i = 0; i < bytes.length; i++) copy[at + i] = copy[at + i]! ^ (bytes[i]! | 1);
    return copy;
  }
  const grow = kind === 'insert' ? bytes.length : -bytes.length;
  const out = new Uint8Array(data.length + grow);
  out.set(data.subarray(0, at));
  if (kind === 'insert') {
    out.set(bytes, at);
    out.set(data.subarray(at), at + bytes.length);
  } else {
    out.set(data.subarray(at + bytes.length), at);
  }
  return out;
}
