import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ClaimSet } from './claim-set.ts';

/** A worker that claims every id of a shared list and reports which it won. */
const CLAIMER = `
const { parentPort, workerData } = require('node:worker_threads');
const { ClaimSet } = await import(workerData.module);
const set = ClaimSet.from(workerData.claims);
const ids = new Uint8Array(workerData.ids);
const won = [];
for (let i = 0; i < ids.byteLength / 32; i++) if (set.claim(ids.subarray(i * 32, i * 32 + 32))) won.push(i);
parentPort.postMessage(won);
`;

function claimIn(claims: ClaimSet, ids: SharedArrayBuffer): Promise<number[]> {
  const module = new URL('./claim-set.ts', import.meta.url).href;
  const worker = new Worker(`(async () => { ${CLAIMER} })()`, { eval: true, workerData: { claims: claims.buffer, ids, module } });
  return new Promise((resolve, reject) => {
    worker.once('message', (won: number[]) => resolve(won));
    worker.once('error', reject);
  });
}

describe('ClaimSet', () => {
  it('says yes to the first claim of an id and no to every later one', () => {
    const set = ClaimSet.create(1024);
    const ids = Array.from({ length: 500 }, () => randomBytes(32));
    for (const id of ids) assert.equal(set.claim(id), true);
    for (const id of ids) assert.equal(set.claim(id), false);
    assert.equal(set.size, 500);
  });

  it('tells ids apart that share their first bytes', () => {
    const set = ClaimSet.create(64);
    const a = Buffer.alloc(32, 7);
    const b = Buffer.from(a);
    b[15] = 8;
    assert.equal(set.claim(a), true);
    assert.equal(set.claim(b), true);
    assert.equal(set.claim(b), false);
  });

  it('says yes without remembering once three quarters full (a duplicate costs space, a wrong no would lose data)', () => {
    const set = ClaimSet.create(16);
    for (let i = 0; i < 12; i++) assert.equal(set.claim(randomBytes(32)), true);
    const late = randomBytes(32);
    assert.equal(set.claim(late), true);
    assert.equal(set.claim(late), true);
    assert.equal(set.size, 12);
  });

  it('refuses a table size that is not a power of two', () => {
    assert.throws(() => ClaimSet.create(1000), /power of two/);
  });

  it('gives each id to exactly one of several threads claiming the same ids at once', async () => {
    const set = ClaimSet.create(1 << 14);
    const count = 5000;
    const ids = new SharedArrayBuffer(count * 32);
    new Uint8Array(ids).set(randomBytes(count * 32));
    const results = await Promise.all([claimIn(set, ids), claimIn(set, ids), claimIn(set, ids)]);
    const winners = results.flat().sort((x, y) => x - y);
    assert.deepEqual(winners, Array.from({ length: count }, (_, i) => i));
    assert.equal(set.size, count);
  });
});
