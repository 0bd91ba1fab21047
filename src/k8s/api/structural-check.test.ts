import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStructural } from './structural-check.ts';

const root = (spec: unknown) => ({ type: 'object', properties: { metadata: { type: 'object' }, spec } });

test('structural schemas pass', () => {
  const ok = [
    root({ type: 'object', properties: { a: { type: 'string' } } }),
    root({ type: 'object', additionalProperties: { type: 'integer' } }),
    root({ anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true }),
    root({ 'x-kubernetes-preserve-unknown-fields': true }),
    root({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, oneOf: [{ required: ['a'] }, { required: ['b'] }] }),
    root({ type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    root({ type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: 'has(self.a)', message: 'a is required' }] }),
    { type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 63 } } } } },
  ];
  for (const [i, s] of ok.entries()) assert.deepEqual(checkStructural(s), [], `case ${i}`);
});

test('each Kubernetes rule is enforced', () => {
  const cases: Array<[string, unknown, string]> = [
    ['root type', { type: 'array', items: { type: 'string' } }, '(root).type: must be object'],
    ['root additionalProperties', { type: 'object', additionalProperties: { type: 'string' } }, '(root).additionalProperties: must not be used at the root'],
    ['root nullable', { type: 'object', nullable: true }, '(root).nullable'],
    ['metadata beyond name', { type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }, '.metadata: must not specify anything other than name and generateName'],
    ['kind type', { type: 'object', properties: { kind: { type: 'integer' } } }, '.kind.type: must be string'],
    ['missing type on a field', root({ type: 'object', properties: { a: { description: 'x' } } }), '.spec.a.type: must not be empty for specified object fields'],
    ['missing type on items', root({ type: 'array', items: { description: 'x' } }), '.spec[].type: must not be empty for specified array items'],
    ['array without items', root({ type: 'array' }), '.spec.items: must be specified for an array'],
    ['type null', root({ type: 'null' }), '.spec.type: cannot be null'],
    ['$ref', root({ $ref: '#/definitions/x' }), '.spec.$ref: is not supported'],
    ['patternProperties', root({ type: 'object', patternProperties: { '^a': { type: 'string' } } }), '.spec.patternProperties: is not supported'],
    ['definitions', { type: 'object', definitions: {} }, '(root).definitions: is not supported'],
    ['unknown keyword', root({ type: 'string', const: 'x' }), '.spec.const: unknown keyword'],
    ['uniqueItems', root({ type: 'array', items: { type: 'string' }, uniqueItems: true }), '.spec.uniqueItems: must not be true'],
    ['additionalProperties false', root({ type: 'object', additionalProperties: false }), '.spec.additionalProperties: must not be false'],
    ['properties and additionalProperties', root({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }), 'mutually exclusive'],
    ['type inside anyOf', root({ type: 'object', anyOf: [{ type: 'object' }] }), '.spec.anyOf[0].type: must not be set in a value validation'],
    ['description inside oneOf', root({ type: 'string', oneOf: [{ description: 'x', pattern: 'a' }] }), '.spec.oneOf[0].description: must not be set'],
    ['default inside allOf', root({ type: 'string', allOf: [{ default: 'a' }] }), '.spec.allOf[0].default: must not be set'],
    ['extension inside not', root({ type: 'string', not: { 'x-kubernetes-int-or-string': true } }), '.spec.not.x-kubernetes-int-or-string: must not be set'],
    ['metadata in a value validation', root({ type: 'object', properties: { metadata: { type: 'object' } }, anyOf: [{ properties: { metadata: {} } }] }), '.spec.anyOf[0].metadata: must not be specified in a nested context'],
    ['value validation on an undeclared field', root({ type: 'object', properties: {}, anyOf: [{ properties: { b: { minLength: 1 } } }] }), '.spec.b: must be specified because .spec.anyOf[0].b validates it'],
    ['required of an undeclared field', root({ type: 'object', properties: {}, oneOf: [{ required: ['b'] }] }), '.spec.b: must be specified because .spec.oneOf[0] requires it'],
    ['int-or-string with a type', root({ type: 'string', 'x-kubernetes-int-or-string': true }), '.spec.type: must be empty if x-kubernetes-int-or-string is true'],
    ['int-or-string with preserve', root({ 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true }), 'must be false if x-kubernetes-int-or-string is true'],
    ['int-or-string with checks in branches', root({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }] }), '.spec.anyOf[0].type: must not be set'],
    ['preserve false', root({ type: 'object', 'x-kubernetes-preserve-unknown-fields': false }), 'must be true or undefined'],
    ['embedded resource not an object', root({ type: 'string', 'x-kubernetes-embedded-resource': true }), '.spec.type: must be object if x-kubernetes-embedded-resource is true'],
    ['list type on a non-array', root({ type: 'object', 'x-kubernetes-list-type': 'set' }), '.spec.type: must be array if x-kubernetes-list-type is set'],
    ['set of objects', root({ type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'set' }), 'must be a scalar or atomic'],
    ['map list without keys', root({ type: 'array', items: { type: 'object' }, 'x-kubernetes-list-type': 'map' }), 'must not be empty if x-kubernetes-list-type is map'],
    ['map key optional', root({ type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }), '.spec[].name: a list map key must be required or have a default'],
    ['map keys without map type', root({ type: 'array', items: { type: 'string' }, 'x-kubernetes-list-map-keys': ['a'] }), 'must be map if x-kubernetes-list-map-keys is set'],
    ['map type on a non-object', root({ type: 'string', 'x-kubernetes-map-type': 'atomic' }), 'must be object if x-kubernetes-map-type is set'],
    ['CEL rule missing', root({ type: 'object', 'x-kubernetes-validations': [{ message: 'm' }] }), '[0].rule: rule is not specified'],
    ['CEL message on two lines', root({ type: 'object', 'x-kubernetes-validations': [{ rule: 'true', message: 'a\nb' }] }), '[0].message: must be a non-empty single line'],
    ['lookahead pattern', root({ type: 'string', pattern: '^(?!x).*$' }), '.spec.pattern: uses lookaround or a backreference'],
    ['backreference', root({ type: 'string', pattern: '^(a)\\1$' }), 'uses lookaround or a backreference'],
    ['invalid pattern', root({ type: 'string', pattern: '([' }), '.spec.pattern: is not a valid regular expression'],
  ];
  for (const [name, schema, error] of cases) {
    const errors = checkStructural(schema);
    assert.ok(errors.some((e) => e.includes(error)), `${name}: want "${error}" in ${JSON.stringify(errors)}`);
  }
});
