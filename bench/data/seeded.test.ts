import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickSeeded, seededText } from './seeded.ts';

test('pickSeeded is deterministic, distinct and of the asked size', () => {
  const items = Array.from({ length: 1000 }, (_, i) => `f${i}`);
  const a = pickSeeded(items, 20, 7);
  assert.deepEqual(a, pickSeeded(items, 20, 7));
  assert.equal(new Set(a).size, 20);
  assert.notDeepEqual(a, pickSeeded(items, 20, 8));
  assert.equal(pickSeeded(items.slice(0, 3), 10, 1).length, 3);
});

test('seededText is printable and deterministic', () => {
  const text = seededText(3000, 42);
  assert.equal(text, seededText(3000, 42));
  assert.equal(text.replace(/\n/g, '').length, 3000);
  assert.match(text, /^[A-Za-z0-9+/\n]+$/);
});
