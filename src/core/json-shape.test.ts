import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from './errors.ts';
import { ShapeError, fields, hexId, integer, list, number, oneOf, optional, readShape, stringMap, text } from './json-shape.ts';

const fault = (pattern: RegExp) => (err: unknown) => err instanceof ShapeError && pattern.test(err.message);

describe('json-shape', () => {
  it('returns well-formed values as they are', () => {
    const f = fields({ a: 1, b: 'x' }, 'o', ['a', 'b', 'c']);
    assert.equal(integer(f.a, 'o.a', { min: 0, max: 1 }), 1);
    assert.equal(text(f.b, 'o.b', { max: 1 }), 'x');
    assert.equal(optional(f.c, 'o.c', text), undefined);
    assert.deepEqual(list([1, 2], 'l', (v, p) => number(v, p, { min: 0 })), [1, 2]);
    assert.equal(oneOf('zstd', 'alg', ['zstd', 'none'] as const), 'zstd');
    assert.deepEqual(stringMap({ k: 'v' }, 'labels'), { k: 'v' });
    assert.equal(hexId('ab'.repeat(32), 'id'), 'ab'.repeat(32));
  });

  it('names the path and what it expected at the first fault', () => {
    assert.throws(() => fields([], 'tree', ['nodes']), fault(/^tree: expected an object, got \[\]$/));
    assert.throws(() => fields({ nodes: [], x: 1 }, 'tree', ['nodes']), fault(/^tree: unexpected key "x"$/));
    assert.throws(() => list([{ mode: 1 }, { mode: -1 }], 'nodes', (v, p) => integer(fields(v, p, ['mode']).mode, `${p}.mode`, { min: 0 })), fault(/^nodes\[1\]\.mode: expected an integer >= 0, got -1$/));
    assert.throws(() => integer(1.5, 'pid'), fault(/^pid: expected an integer, got 1.5$/));
    assert.throws(() => integer(23, 'level', { min: -7, max: 22 }), fault(/level: expected an integer >= -7 <= 22, got 23/));
    assert.throws(() => number(Number.NaN, 'mtime'), fault(/^mtime: expected a number/));
    assert.throws(() => number(undefined, 'mtime'), fault(/^mtime: expected a number, got nothing$/));
    assert.throws(() => text('x'.repeat(300), 'hostname', { max: 255 }), fault(/^hostname: expected at most 255 characters/));
    assert.throws(() => hexId('AB'.repeat(32), 'tree'), fault(/^tree: expected a 64-digit hex id/));
    assert.throws(() => oneOf('lz4', 'compression.algorithm', ['zstd', 'none']), fault(/one of "zstd", "none", got "lz4"/));
    assert.throws(() => list([], 'paths', text, { min: 1 }), fault(/^paths: expected at least 1 item/));
    assert.throws(() => stringMap({ k: 1 }, 'labels'), fault(/^labels\.k: expected a string, got 1$/));
  });

  it('readShape turns a fault into REPO_CORRUPT naming the object, and lets other errors through', () => {
    assert.throws(
      () => readShape('snapshot 1234 is malformed', () => integer('7', 'summary.files')),
      (err: unknown) => isHoldfastError(err, 'REPO_CORRUPT') && err.message === 'snapshot 1234 is malformed: summary.files: expected an integer, got "7"',
    );
    assert.throws(() => readShape('x', () => { throw new RangeError('other'); }), RangeError);
  });
});
