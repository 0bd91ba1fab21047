import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { isHoldfastError } from '../../core/errors.ts';
import { crdSchemaOf } from './crd-generator.ts';
import type { JsonObject, JSONSchemaProps } from './json-schema.ts';
import { rawJson, rawObject, withRules } from './schema-kit.ts';
import { makeStructural } from './structural.ts';
import { checkStructural } from './structural-check.ts';

const S = Number.MAX_SAFE_INTEGER;

test('the post-pass rewrites what Kubernetes rejects', () => {
  const cases: Array<{ name: string; input: JsonObject; output: JSONSchemaProps }> = [
    {
      name: 'strict objects lose additionalProperties: false',
      input: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
      output: { type: 'object', properties: { a: { type: 'string' } } },
    },
    {
      name: '$ref is inlined from $defs',
      input: { type: 'object', properties: { a: { $ref: '#/$defs/Name', description: 'the a' } }, $defs: { Name: { type: 'string', minLength: 1 } } },
      output: { type: 'object', properties: { a: { description: 'the a', type: 'string', minLength: 1 } } },
    },
    {
      name: 'type [T, null] becomes nullable',
      input: { type: ['string', 'null'] },
      output: { type: 'string', nullable: true },
    },
    {
      name: 'anyOf with a null branch becomes nullable',
      input: { description: 'd', anyOf: [{ type: 'integer' }, { type: 'null' }] },
      output: { description: 'd', type: 'integer', nullable: true },
    },
    {
      name: 'int-or-string in the one accepted shape, branch checks moved up',
      input: { description: 'q', anyOf: [{ type: 'integer', minimum: -S, maximum: S }, { type: 'string', pattern: '^[0-9]+m$' }] },
      output: { description: 'q', pattern: '^[0-9]+m$', anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
    },
    {
      name: 'a union of objects becomes one object with oneOf of required sets',
      input: {
        description: 'u',
        oneOf: [
          { type: 'object', properties: { kind: { type: 'string', enum: ['a'] }, x: { type: 'string' } }, required: ['kind', 'x'] },
          { type: 'object', properties: { kind: { type: 'string', enum: ['b'] }, y: { type: 'integer' } }, required: ['kind', 'y'] },
        ],
      },
      output: {
        description: 'u',
        type: 'object',
        required: ['kind'],
        properties: { kind: { type: 'string', enum: ['a', 'b'] }, x: { type: 'string' }, y: { type: 'integer' } },
        oneOf: [{ required: ['x'] }, { required: ['y'] }],
      },
    },
    {
      name: 'a union of enums becomes one enum',
      input: { anyOf: [{ type: 'string', enum: ['a'] }, { type: 'string', enum: ['b', 'c'] }] },
      output: { type: 'string', enum: ['a', 'b', 'c'] },
    },
    {
      name: 'safe-integer bounds are dropped, real ones kept',
      input: { type: 'integer', minimum: 0, maximum: S },
      output: { type: 'integer', minimum: 0 },
    },
    {
      name: 'date-time keeps its format and drops the long pattern',
      input: { type: 'string', format: 'date-time', pattern: '^\\d{4}-.*$' },
      output: { type: 'string', format: 'date-time' },
    },
    {
      name: 'missing types are inferred from properties and items',
      input: { properties: { l: { items: { type: 'string' } } } },
      output: { type: 'object', properties: { l: { type: 'array', items: { type: 'string' } } } },
    },
    {
      name: 'raw maps keep preserve-unknown-fields and drop the empty additionalProperties',
      input: { type: 'object', additionalProperties: {}, 'x-kubernetes-preserve-unknown-fields': true },
      output: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    {
      name: 'keywords are written in a fixed order, propertyNames dropped',
      input: { additionalProperties: { type: 'string' }, propertyNames: { minLength: 1 }, type: 'object', description: 'm' },
      output: { description: 'm', type: 'object', additionalProperties: { type: 'string' } },
    },
  ];
  for (const c of cases) {
    const out = makeStructural(c.input);
    assert.deepEqual(out, c.output, c.name);
    assert.deepEqual(Object.keys(out), Object.keys(c.output), `${c.name}: key order`);
  }
});

test('what cannot be made structural fails, naming the path', () => {
  const cases: Array<{ name: string; input: JsonObject; error: string }> = [
    { name: 'untyped field', input: { type: 'object', properties: { v: {} } }, error: 'at .v: no type' },
    { name: 'untyped map values', input: { type: 'object', properties: { m: { type: 'object', additionalProperties: {} } } }, error: 'at .m: a map of untyped values' },
    {
      name: 'properties beside additionalProperties',
      input: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
      error: 'additionalProperties beside properties',
    },
    { name: 'union of string and object', input: { anyOf: [{ type: 'string' }, { type: 'object', properties: {} }] }, error: 'cannot be made structural' },
    {
      name: 'recursive schema',
      input: { $ref: '#/$defs/Node', $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } } },
      error: 'recursive schema',
    },
    { name: 'unknown keyword', input: { type: 'string', contentEncoding: 'base64' }, error: 'keyword contentEncoding is not supported' },
    { name: 'tuple items', input: { type: 'array', items: [{ type: 'string' }] }, error: 'items must be one schema' },
  ];
  for (const c of cases) {
    assert.throws(() => makeStructural(c.input), (e) => isHoldfastError(e, 'INTERNAL') && e.message.includes(c.error), c.name);
  }
});

test('zod schemas built with the kit come out structural', () => {
  const schema = withRules(
    z.strictObject({
      name: z.string().min(1).describe('n'),
      labels: z.record(z.string(), z.string()).optional().describe('l'),
      patch: rawJson('p').optional(),
      object: rawObject('o').optional(),
      size: z.union([z.int(), z.string()]).optional().describe('s'),
      when: z.iso.datetime().optional().describe('w'),
    }),
    [{ cel: 'has(self.patch) || has(self.object)', holds: (v) => v.patch !== undefined || v.object !== undefined, message: 'one of patch or object' }],
  );
  const out = crdSchemaOf(schema);
  assert.deepEqual(checkStructural({ type: 'object', properties: { spec: out } }), []);
  assert.deepEqual(out['x-kubernetes-validations'], [{ rule: 'has(self.patch) || has(self.object)', message: 'one of patch or object' }]);
  assert.deepEqual(out.properties?.patch, { description: 'p', 'x-kubernetes-preserve-unknown-fields': true });
  assert.deepEqual(out.properties?.object, { description: 'o', type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  assert.equal(out.properties?.size?.['x-kubernetes-int-or-string'], true);
  assert.deepEqual(out.required, ['name']);
});

test('a plain z.unknown() is refused: raw JSON must be declared', () => {
  assert.throws(() => crdSchemaOf(z.object({ v: z.unknown().describe('v') })), /at \.v: no type/);
});
