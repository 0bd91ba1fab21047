import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../core/errors.ts';
import type { JsonPatchOperation } from '../api/transforms.ts';
import { applyJsonPatch, jsonEqual, parsePointer } from './json-patch.ts';

type Case = [name: string, doc: unknown, patch: JsonPatchOperation[], expected: unknown];

// The examples of RFC 6902 appendix A, plus Kubernetes-shaped ones.
const cases: Case[] = [
  ['A.1 add an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
  ['A.2 add an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
  ['A.3 remove an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
  ['A.4 remove an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
  ['A.5 replace a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
  [
    'A.6 move a value',
    { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  ],
  ['A.7 move an array element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
  [
    'A.8 test a value: success',
    { baz: 'qux', foo: ['a', 2, 'c'] },
    [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    { baz: 'qux', foo: ['a', 2, 'c'] },
  ],
  ['A.10 add a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
  ['A.14 ~ escape ordering', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
  ['A.16 add an array value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
  ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
  ['replace the whole document', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
  [
    'annotation key with a slash',
    { metadata: { annotations: { 'example.com/x': 'a' } } },
    [{ op: 'replace', path: '/metadata/annotations/example.com~1x', value: 'b' }],
    { metadata: { annotations: { 'example.com/x': 'b' } } },
  ],
  ['set replicas', { spec: { replicas: 3 } }, [{ op: 'replace', path: '/spec/replicas', value: 0 }], { spec: { replicas: 0 } }],
  ['test null', { a: null }, [{ op: 'test', path: '/a', value: null }], { a: null }],
];

test('RFC 6902 operations', () => {
  for (const [name, doc, patch, expected] of cases) {
    const before = structuredClone(doc);
    assert.deepEqual(applyJsonPatch(doc, patch), expected, name);
    assert.deepEqual(doc, before, `${name}: the input is unchanged`);
  }
});

type Failure = [name: string, doc: unknown, patch: JsonPatchOperation[], message: RegExp];

const failures: Failure[] = [
  ['A.9 test fails', { baz: 'qux', foo: ['a', 2, 'c'] }, [{ op: 'test', path: '/baz', value: 'bar' }], /operation 1 \(test \/baz\): the value differs/],
  ['A.12 add to a nonexistent target', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }], /parent does not exist/],
  ['A.15 comparing strings and numbers', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }], /value differs/],
  ['remove a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }], /nothing at the path/],
  ['replace a missing member', { a: 1 }, [{ op: 'replace', path: '/b', value: 2 }], /nothing at the path/],
  ['array index past the end', { a: [1] }, [{ op: 'add', path: '/a/2', value: 2 }], /out of range/],
  ['leading zero index', { a: [1, 2] }, [{ op: 'remove', path: '/a/01' }], /nothing at the path/],
  ['move into its own child', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }], /into itself/],
  ['test of a missing path', { a: 1 }, [{ op: 'test', path: '/b', value: null }], /value differs/],
  ['second operation fails', { a: 1 }, [{ op: 'add', path: '/b', value: 2 }, { op: 'remove', path: '/c' }], /operation 2 \(remove \/c\)/],
];

test('an operation that cannot apply fails the whole patch with a CONFIG_INVALID error naming it', () => {
  for (const [name, doc, patch, message] of failures) {
    const before = structuredClone(doc);
    assert.throws(() => applyJsonPatch(doc, patch), (e) => isHoldfastError(e, 'CONFIG_INVALID') && message.test(e.message), name);
    assert.deepEqual(doc, before, `${name}: the input is unchanged`);
  }
});

test('JSON pointers unescape ~1 before ~0', () => {
  assert.deepEqual(parsePointer(''), []);
  assert.deepEqual(parsePointer('/a~1b/~0c/~01'), ['a/b', '~c', '~1']);
  assert.deepEqual(parsePointer('/'), ['']);
  assert.throws(() => parsePointer('a'), (e) => isHoldfastError(e, 'CONFIG_INVALID'));
});

test('JSON equality ignores member order, not array order', () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!jsonEqual(1, '1'));
});
