/**
 * The generated CRDs: committed files match the generator; every schema is structural;
 * every field is described for `kubectl explain`; raw JSON only where raw objects are
 * carried; maps are additionalProperties; printer columns and selectable fields point
 * at real fields; CEL rules sit where the zod rules are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildAllCrds, crdSchemaOf, type CustomResourceDefinition } from './crd-generator.ts';
import { CRD_DIR, generatedFiles } from './crd-files.ts';
import { isJsonObject, type JSONSchemaProps } from './json-schema.ts';
import { KINDS } from './kinds.ts';
import { checkStructural } from './structural-check.ts';

const ROOT = join(import.meta.dirname, '../../..');
const crds = buildAllCrds();

function schemaOf(crd: CustomResourceDefinition): JSONSchemaProps {
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

/** Every node with its path: `.spec.hooks[].exec`, `.spec.namespaceMapping{}`. */
function walk(node: JSONSchemaProps, path: string, visit: (node: JSONSchemaProps, path: string) => void): void {
  visit(node, path);
  for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (node.items) walk(node.items, `${path}[]`, visit);
  if (isJsonObject(node.additionalProperties)) walk(node.additionalProperties as JSONSchemaProps, `${path}{}`, visit);
}

function nodeAt(root: JSONSchemaProps, jsonPath: string): JSONSchemaProps | undefined {
  const parts = jsonPath.replace(/\[\?\(@\.type=="[A-Za-z]+"\)\]/g, '[]').split('.').filter(Boolean);
  let node: JSONSchemaProps | undefined = root;
  for (const part of parts) {
    const name = part.replace(/\[\]$/, '');
    node = node?.properties?.[name];
    if (part.endsWith('[]')) node = node?.items;
  }
  return node;
}

test('the committed CRDs and Helm template are what the generator writes', () => {
  for (const [path, content] of generatedFiles(crds)) {
    let committed: string | undefined;
    try {
      committed = readFileSync(join(ROOT, path), 'utf8');
    } catch {
      committed = undefined;
    }
    assert.ok(committed === content, `${path} is out of date: run node scripts/gen-crds.ts`);
  }
  const onDisk = readdirSync(join(ROOT, CRD_DIR)).map((f) => `${CRD_DIR}/${f}`);
  assert.deepEqual(onDisk.sort(), [...generatedFiles(crds).keys()].filter((p) => p.startsWith(CRD_DIR)).sort());
});

test('the committed files are valid YAML of CustomResourceDefinitions', () => {
  for (const crd of crds) {
    const doc = parse(readFileSync(join(ROOT, CRD_DIR, `${crd.metadata.name}.yaml`), 'utf8')) as CustomResourceDefinition;
    assert.deepEqual(doc, JSON.parse(JSON.stringify(crd)), crd.metadata.name);
  }
});

test('every CRD schema is structural', () => {
  for (const crd of crds) assert.deepEqual(checkStructural(schemaOf(crd)), [], crd.metadata.name);
});

test('names, scope, categories and the status subresource', () => {
  const shortNames = crds.flatMap((c) => c.spec.names.shortNames);
  assert.equal(new Set(shortNames).size, shortNames.length, 'short names are unique');
  for (const crd of crds) {
    const { names } = crd.spec;
    assert.equal(crd.metadata.name, `${names.plural}.holdfast.dev`);
    assert.match(names.plural, /^[a-z]+$/);
    assert.equal(names.singular, names.kind.toLowerCase());
    assert.deepEqual(names.categories, ['holdfast']);
    assert.deepEqual(crd.spec.versions[0]?.subresources, { status: {} });
  }
  const scope = Object.fromEntries(crds.map((c) => [c.spec.names.kind, c.spec.scope]));
  assert.deepEqual(scope, {
    BackupRepository: 'Cluster',
    BackupPolicy: 'Namespaced',
    ClusterBackupPolicy: 'Cluster',
    Backup: 'Namespaced',
    Restore: 'Namespaced',
    Recipe: 'Namespaced',
    ClusterRecipe: 'Cluster',
  });
});

test('every field has a description, for kubectl explain', () => {
  for (const crd of crds) {
    const missing: string[] = [];
    walk(schemaOf(crd), '', (node, path) => {
      const isField = !path.endsWith('[]') && !path.endsWith('{}') && path !== '.metadata' && path !== '';
      if (isField && !node.description?.trim()) missing.push(path);
    });
    assert.deepEqual(missing, [], crd.metadata.name);
  }
});

test('raw JSON (preserve-unknown-fields) only where raw objects are carried', () => {
  const allowed: Record<string, string[]> = { 'restores.holdfast.dev': ['.spec.transforms.jsonPatches[].patch[].value'] };
  for (const crd of crds) {
    const found: string[] = [];
    walk(schemaOf(crd), '', (node, path) => {
      if (node['x-kubernetes-preserve-unknown-fields']) found.push(path);
    });
    assert.deepEqual(found, allowed[crd.metadata.name] ?? [], crd.metadata.name);
  }
});

test('maps are additionalProperties, never patternProperties', () => {
  const maps: Array<[string, string]> = [
    ['restores.holdfast.dev', '.spec.namespaceMapping'],
    ['restores.holdfast.dev', '.spec.transforms.storageClassMapping'],
    ['restores.holdfast.dev', '.spec.rename.names'],
    ['backups.holdfast.dev', '.spec.recipe.parameters'],
    ['backups.holdfast.dev', '.spec.selection.labelSelector.matchLabels'],
    ['backuppolicies.holdfast.dev', '.spec.backupLabels'],
  ];
  for (const [name, path] of maps) {
    const crd = crds.find((c) => c.metadata.name === name);
    const node = crd && nodeAt(schemaOf(crd), path);
    assert.equal(node?.type, 'object', `${name} ${path}`);
    assert.equal(node?.properties, undefined, `${name} ${path}`);
    assert.equal((node?.additionalProperties as JSONSchemaProps | undefined)?.type, 'string', `${name} ${path}`);
  }
  for (const [path, content] of generatedFiles(crds)) assert.ok(!content.includes('patternProperties'), path);
});

test('printer columns and selectable fields point at fields of the schema', () => {
  for (const crd of crds) {
    const version = crd.spec.versions[0]!;
    for (const column of version.additionalPrinterColumns) {
      if (column.jsonPath === '.metadata.creationTimestamp') continue;
      const node = nodeAt(schemaOf(crd), column.jsonPath);
      assert.ok(node, `${crd.metadata.name}: column ${column.name} → ${column.jsonPath}`);
      const want = column.type === 'date' ? 'string' : column.type;
      assert.equal(node.type, want, `${crd.metadata.name}: column ${column.name}`);
    }
    for (const { jsonPath } of version.selectableFields ?? []) {
      const node = nodeAt(schemaOf(crd), jsonPath);
      assert.ok(node && ['string', 'boolean', 'integer'].includes(node.type ?? ''), `${crd.metadata.name}: selectable ${jsonPath}`);
    }
  }
});

test('the cross-field rules are CEL rules in the CRDs', () => {
  const rules = (name: string, path: string) => {
    const crd = crds.find((c) => c.metadata.name === name);
    return (crd && nodeAt(schemaOf(crd), path)?.['x-kubernetes-validations'])?.map((r) => r.rule) ?? [];
  };
  const expected: Array<[string, string, string]> = [
    ['backuprepositories.holdfast.dev', '.spec.backend', 'has(self.s3) != has(self.filesystem)'],
    ['backuprepositories.holdfast.dev', '.spec.backend.filesystem', 'has(self.path) != has(self.pvc)'],
    ['restores.holdfast.dev', '.spec.source', 'has(self.backupName) != (has(self.repositoryRef) && has(self.snapshotId))'],
    ['backups.holdfast.dev', '.spec', "!(has(self.recipe) && has(self.consistencyGroup))"],
    ['backups.holdfast.dev', '.spec.hooks[]', '[has(self.exec), has(self.http), has(self.job)].filter(x, x).size() == 1'],
    ['recipes.holdfast.dev', '.spec.actions', '!has(self.quiesce) || has(self.unquiesce)'],
    ['clusterbackuppolicies.holdfast.dev', '.spec', 'has(self.namespaceSelector) || (has(self.selection) && has(self.selection.namespaces))'],
    ['backuppolicies.holdfast.dev', '.spec.keep', 'has(self.last) || has(self.hourly) || has(self.daily) || has(self.weekly) || has(self.monthly) || has(self.yearly) || has(self.within)'],
  ];
  for (const [name, path, rule] of expected) assert.ok(rules(name, path).includes(rule), `${name} ${path}: ${rule}`);
});

test('arrays in specs are bounded, so CEL cost estimates stay within budget', () => {
  for (const def of KINDS) {
    const unbounded: string[] = [];
    walk(crdSchemaOf(def.spec), '.spec', (node, path) => {
      if (node.type === 'array' && node.maxItems === undefined) unbounded.push(path);
    });
    assert.deepEqual(unbounded, [], def.kind);
  }
});
