import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { parseRecipeFile } from './recipe-file.ts';
import { expand, parseParamFlags, resolveParameters } from './recipe-params.ts';
import { parseDatabaseUrl } from './target.ts';

const DUMP = 'actions:\n  dump:\n    - name: db\n      exec: { command: [pg_dump, $(database)] }\n';

describe('recipe file', () => {
  it('reads a bare spec (named after the file) and a whole manifest (named by metadata.name), with the CRD defaults', () => {
    const bare = parseRecipeFile(DUMP, 'pg.yaml', 'pg');
    assert.equal(bare.name, 'pg');
    assert.deepEqual(bare.spec.actions.dump?.[0], { name: 'db', exec: { command: ['pg_dump', '$(database)'] }, timeoutSeconds: 600, retries: 0, onError: 'fail' });
    const manifest = parseRecipeFile(`apiVersion: holdfast.dev/v1alpha1\nkind: ClusterRecipe\nmetadata: { name: postgresql }\nspec:\n  engine: postgresql\n  ${DUMP.replace(/\n/g, '\n  ')}`, 'm.yaml', 'm');
    assert.equal(manifest.name, 'postgresql');
    assert.equal(manifest.spec.engine, 'postgresql');
  });

  for (const c of [
    { text: 'actions: {}\nextra: 1', message: 'r.yaml: (top): Unrecognized key: "extra"' },
    { text: 'actions:\n  dump:\n    - name: db\n      exec: { command: [] }', message: 'r.yaml: actions.dump.0.exec.command: Too small: expected array to have >=1 items' },
    { text: 'actions:\n  dump:\n    - name: Db\n      exec: { command: [x] }', message: 'r.yaml: actions.dump.0.name: must be a lowercase DNS label' },
    { text: 'actions:\n  dump:\n    - name: db\n      exec: { command: [x] }\n      http: { url: "http://x" }', message: 'r.yaml: actions.dump.0: give exactly one of exec, http or job' },
    { text: 'actions:\n  dump:\n    - { name: a, exec: { command: [x] } }\n    - { name: a, exec: { command: [y] } }', message: 'r.yaml: actions.dump: step names must be unique' },
    { text: 'actions:\n  dump:\n    - { name: a, artifact: x, exec: { command: [x] } }\n    - { name: b, artifact: x, exec: { command: [y] } }', message: 'r.yaml: actions.dump: each dump step needs its own artifact name' },
    { text: 'actions:\n  quiesce:\n    - { name: a, exec: { command: [x] } }', message: 'r.yaml: actions.unquiesce: a recipe with quiesce steps needs unquiesce steps' },
    { text: 'actions:\n  dump:\n    - { name: a, job: { image: postgres } }', message: 'r.yaml: actions.dump.0.job: a job step needs a cluster' },
    { text: 'actions:\n  dump:\n    - { name: a, http: { url: "http://x/dump" } }', message: 'r.yaml: actions.dump.0.http: a dump or load step streams through a command: give exec' },
    { text: 'actions:\n  verify:\n    - { name: a, exec: { command: [x], hold: { readyPattern: y } } }', message: 'r.yaml: actions.verify.0.exec.hold: only quiesce steps hold' },
    { text: 'kind: Recipe\nspec:\n  actions:\n    dump:\n      - { name: a, exec: { command: 1 } }', message: 'r.yaml: spec.actions.dump.0.exec.command: Invalid input: expected array, received number' },
    { text: 'actions: [', message: 'r.yaml: not valid YAML' },
  ]) {
    it(`refuses: ${c.message}`, () => {
      assert.throws(() => parseRecipeFile(c.text, 'r.yaml', 'r'), (err: unknown) => isHoldfastError(err, 'CONFIG_INVALID') && err.message.startsWith(c.message));
    });
  }
});

describe('recipe parameters', () => {
  const recipe = parseRecipeFile(`parameters:\n  - { name: database, default: postgres }\n  - { name: password, required: true }\n${DUMP}`, 'r.yaml', 'r');

  it('fills in defaults, --param values and built-ins, and expands $(name) (not $$(name), nor unknown names)', () => {
    const values = resolveParameters(recipe, parseParamFlags(['password=a=b']), { freezeTimeoutSeconds: '60' });
    assert.deepEqual(values, { freezeTimeoutSeconds: '60', database: 'postgres', password: 'a=b' });
    assert.equal(expand('$(database) $$(database) $(other) $(freezeTimeoutSeconds)', values), 'postgres $(database) $(other) 60');
  });

  for (const c of [
    { flags: [], message: 'r.yaml: give --param password=… (required)' },
    { flags: ['password=x', 'colour=blue'], message: "r.yaml: no parameter colour (the recipe's parameters: database, password)" },
    { flags: ['password'], message: "--param 'password': give name=value" },
  ]) {
    it(`refuses: ${c.message}`, () => {
      assert.throws(() => resolveParameters(recipe, parseParamFlags(c.flags), {}), (err: unknown) => isHoldfastError(err, 'USAGE') && err.message === c.message);
    });
  }
});

describe('etcd targets', () => {
  it('reads a member URL and a data dir to restore into', () => {
    const member = parseDatabaseUrl('etcd://root:s3cret@10.0.0.5:2379');
    assert.deepEqual([member.engine, member.host, member.port, member.user, member.password, member.display], ['etcd', '10.0.0.5', 2379, 'root', 's3cret', 'etcd 10.0.0.5:2379']);
    const dir = parseDatabaseUrl('etcd-data-dir:/var/lib/etcd-new?name=m1&initial-cluster=m1%3Dhttp%3A%2F%2F10.0.0.5%3A2380');
    assert.deepEqual(dir.params, { 'data-dir': '/var/lib/etcd-new', name: 'm1', 'initial-cluster': 'm1=http://10.0.0.5:2380' });
    assert.equal(dir.display, 'etcd data dir /var/lib/etcd-new');
    assert.throws(() => parseDatabaseUrl('etcd-data-dir:'), (err: unknown) => isHoldfastError(err, 'USAGE'));
  });
});
