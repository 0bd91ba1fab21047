import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { isHoldfastError } from '../../core/errors.ts';
import { describeObject, formatPath, parseWith } from './parse.ts';

test('formatPath', () => {
  const cases: Array<[PropertyKey[], string]> = [
    [[], ''],
    [['spec'], 'spec'],
    [['spec', 'hooks', 0, 'exec'], 'spec.hooks[0].exec'],
    [['spec', 'matrix', 1, 2], 'spec.matrix[1][2]'],
  ];
  for (const [path, text] of cases) assert.equal(formatPath(path), text);
});

test('describeObject names what it can', () => {
  const cases: Array<[unknown, string]> = [
    [{ kind: 'Backup', metadata: { namespace: 'a', name: 'b' } }, 'Backup a/b'],
    [{ kind: 'BackupRepository', metadata: { name: 'main' } }, 'BackupRepository main'],
    [{ kind: 'Backup' }, 'Backup'],
    [null, 'object'],
    ['text', 'object'],
  ];
  for (const [value, text] of cases) assert.equal(describeObject(value), text);
});

test('parse errors list each field, unknown fields by name, at most five', () => {
  const schema = z.strictObject({ a: z.string(), b: z.int(), c: z.object({ d: z.boolean() }) });
  assert.throws(
    () => parseWith(schema, { a: 1, b: 'x', c: { d: 'no' }, e: 1, f: 2, g: 3 }, 'Thing t'),
    (e) => {
      assert.ok(isHoldfastError(e, 'CONFIG_INVALID'));
      assert.match(e.message, /^Thing t: /);
      assert.match(e.message, /a: Invalid input: expected string/);
      assert.match(e.message, /c\.d: Invalid input: expected boolean/);
      assert.match(e.message, /e: unknown field/);
      assert.match(e.message, /and 1 more$/);
      return true;
    },
  );
});

test('parse returns the parsed value with defaults', () => {
  const schema = z.object({ a: z.string().default('x') });
  assert.deepEqual(parseWith(schema, {}), { a: 'x' });
});
