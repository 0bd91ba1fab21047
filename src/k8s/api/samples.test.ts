/**
 * The API contract on sample objects: every example in deploy/examples parses, and
 * broken variants of them (samples.testing.ts) are rejected with a message that names
 * the object and the field. The same rules are CEL rules in the CRDs (crds.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../core/errors.ts';
import { KINDS, resourceSchema, type KindDefinition } from './kinds.ts';
import { parseWith } from './parse.ts';
import { BROKEN_SAMPLES, loadExamples, withChange, type SampleObject } from './samples.testing.ts';

const examples = loadExamples();

function parse(doc: SampleObject): unknown {
  const def = KINDS.find((k) => k.kind === doc.kind);
  assert.ok(def, `no kind ${doc.kind}`);
  return parseWith(resourceSchema(def as KindDefinition), doc);
}

test('every holdfast.dev example in deploy/examples parses', () => {
  assert.ok(examples.size >= 9, `found ${examples.size} examples`);
  const kinds = new Set([...examples.values()].map((d) => d.kind));
  for (const def of KINDS) if (def.kind !== 'ClusterRecipe') assert.ok(kinds.has(def.kind), `no example of ${def.kind}`);
  for (const [name, doc] of examples) assert.doesNotThrow(() => parse(doc), name);
});

test('parsing applies the defaults the CRD applies', () => {
  const backup = parse(examples.get('Backup/ledger-before-upgrade')!) as { spec: Record<string, unknown> & { hooks: Array<Record<string, unknown>> } };
  assert.equal(backup.spec.deletionPolicy, 'delete');
  assert.equal(backup.spec.hooks[0]?.timeoutSeconds, 600);
  assert.equal(backup.spec.hooks[0]?.retries, 0);
  const repo = parse(examples.get('BackupRepository/main')!) as { spec: { accessMode: string; backend: { s3: { region: string } } } };
  assert.equal(repo.spec.accessMode, 'read-write');
  assert.equal(repo.spec.backend.s3.region, 'us-east-1');
});

test('broken objects are rejected with the object and the field named', () => {
  assert.ok(BROKEN_SAMPLES.length > 60);
  for (const c of BROKEN_SAMPLES) {
    const doc = examples.get(c.example);
    assert.ok(doc, `no example ${c.example}`);
    const bad = withChange(doc, c.path, c.value);
    const ns = bad.metadata.namespace;
    const prefix = `${bad.kind} ${ns ? `${ns}/` : ''}${bad.metadata.name}: `;
    assert.throws(
      () => parse(bad),
      (e: unknown) => {
        assert.ok(isHoldfastError(e, 'CONFIG_INVALID'), `${c.example} ${c.path}: ${String(e)}`);
        assert.ok(e.message.startsWith(prefix + c.error), `${c.example} ${c.path}=${JSON.stringify(c.value)}:\n  got:  ${e.message}\n  want: ${prefix}${c.error}…`);
        return true;
      },
    );
  }
});

test('withChange sets, adds and deletes nested values without touching the original', () => {
  const doc: SampleObject = { kind: 'K', metadata: { name: 'n' }, spec: { list: [{ a: 1 }] } };
  assert.deepEqual(withChange(doc, 'spec.list[0].a', 2).spec, { list: [{ a: 2 }] });
  assert.deepEqual(withChange(doc, 'spec.x.y', true).spec, { list: [{ a: 1 }], x: { y: true } });
  assert.deepEqual(withChange(doc, 'spec.list', undefined).spec, {});
  assert.deepEqual(doc.spec, { list: [{ a: 1 }] });
});
