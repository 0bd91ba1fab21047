import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { KnownIdSet } from './known-set.ts';

describe('KnownIdSet', () => {
  for (const count of [0, 1, 12, 13, 96, 97, 3000]) {
    it(`holds every id of ${count} and no other, its table at most three quarters full`, () => {
      const ids = Array.from({ length: count }, () => randomBytes(32));
      const set = KnownIdSet.fromBytes(ids, count);
      for (const id of ids) assert.ok(set.has(id));
      for (let i = 0; i < 200; i++) assert.equal(set.has(randomBytes(32)), false);
      const slots = set.buffer.byteLength / 32;
      assert.ok(count * 4 <= slots * 3, `${count} ids in ${slots} slots`);
      assert.ok(slots === 16 || count * 4 > (slots / 2) * 3, `${slots} slots for ${count} ids: half would do`);
      assert.deepEqual(KnownIdSet.build(ids.map((b) => b.toString('hex')), count).buffer, set.buffer);
    });
  }
});
