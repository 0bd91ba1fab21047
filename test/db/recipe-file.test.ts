/**
 * `holdfast backup --recipe FILE` / `restore --recipe FILE` with a recipe file of local
 * commands against a real PostgreSQL: backup mode held by a quiesce step while the dump
 * steps stream (one snapshot per artifact), unquiesce always run, load into a new
 * database. Bad input: a wrong password, an unreachable server, a failing dump step
 * (the run's snapshots are deleted again), a malformed file, parameters missing or
 * unknown. The shipped ClusterRecipes parse as recipe files too.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { parseRecipeFile } from '../../src/consistency/recipes/recipe-file.ts';
import { recipeSpecSchema } from '../../src/k8s/api/recipe.ts';
import { PROJECT_ROOT, show, stderrLines } from '../helpers/cli.ts';
import { startPostgres } from '../helpers/databases/postgres.ts';
import type { PgServer } from '../helpers/databases/postgres.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

interface Listed {
  readonly id: string;
  readonly labels: Record<string, string>;
}

const PG = ['env', 'PGHOST=$(host)', 'PGPORT=$(port)', 'PGUSER=postgres', 'PGPASSWORD=$(password)', 'PGCONNECT_TIMEOUT=5'];

/** A recipe of local commands: PostgreSQL over TCP, markers in $(marker) showing when it was quiesced. */
function recipe(extraDump: object[] = []): object {
  return {
    engine: 'postgresql',
    description: 'PostgreSQL with the local client tools',
    parameters: [
      { name: 'host', default: '127.0.0.1' },
      { name: 'port', required: true },
      { name: 'password', required: true },
      { name: 'database', default: 'postgres' },
      { name: 'marker', required: true },
    ],
    actions: {
      prepare: [{ name: 'checkpoint', exec: { command: [...PG, 'psql', '-XAtq', '-d', 'postgres', '-c', 'CHECKPOINT'] } }],
      quiesce: [
        {
          name: 'backup-mode',
          exec: {
            command: [...PG, 'PGAPPNAME=holdfast-recipe-freeze', 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d', '$(database)',
              '-c', "SELECT pg_backup_start('recipe', true)", '-c', "SELECT 'holdfast-frozen ' || pg_backend_pid()",
              '-c', 'SELECT pg_sleep($(freezeTimeoutSeconds))', '-c', 'SELECT 1 FROM pg_backup_stop(false)'],
            hold: { readyPattern: '^holdfast-frozen' },
          },
        },
        { name: 'mark', exec: { command: ['touch', '$(marker)/quiesced'] } },
      ],
      unquiesce: [
        { name: 'end-backup-mode', exec: { command: [...PG, 'psql', '-XAtq', '-d', 'postgres', '-c', "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE application_name = 'holdfast-recipe-freeze'"] } },
        { name: 'unmark', exec: { command: ['sh', '-c', 'rm -f "$1/quiesced"; echo done >> "$1/unquiesced"', 'unmark', '$(marker)'] } },
      ],
      dump: [
        { name: 'globals', artifact: 'globals.sql', exec: { command: [...PG, 'pg_dumpall', '--no-password', '--globals-only'] }, onError: 'continue' },
        // Dumps only while quiesced: the marker proves the order of the steps.
        { name: 'dump', artifact: 'database.pgdump', exec: { command: ['sh', '-c', 'test -e "$1/quiesced" || { echo "error: not quiesced" >&2; exit 1; }; shift; exec "$@"', 'dump', '$(marker)', ...PG, 'pg_dump', '--no-password', '-Fc', '-Z0', '-d', '$(database)'] } },
        ...extraDump,
      ],
      load: [
        { name: 'create', artifact: 'database.pgdump', exec: { command: [...PG, 'sh', '-c', 'psql -XAtq -d postgres -c "CREATE DATABASE $1" && exec pg_restore --no-password --exit-on-error --single-transaction -d "$1"', 'load', '$(database)'] } },
      ],
      verify: [{ name: 'connect', exec: { command: [...PG, 'psql', '-XAtq', '-d', '$(database)', '-c', 'SELECT 1'] } }],
    },
  };
}

describe('recipe files (CLI mode)', () => {
  let pg: PgServer;
  let t: TestRepository;
  let file = '';
  let marker = '';
  const params = (over: Record<string, string> = {}): string[] =>
    Object.entries({ port: String(pg.port), password: 'pg-test-secret', database: 'shop', marker, ...over }).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
  const snapshots = async (): Promise<Listed[]> => {
    const r = await t.cli.run(['snapshots', '--json']);
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as Listed[];
  };
  const inBackupMode = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holdfast-recipe-freeze'";

  before(async () => {
    [pg, t] = await Promise.all([startPostgres(), createTestRepository()]);
    await pg.psql('postgres', 'CREATE DATABASE shop');
    await pg.psql('shop', "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS label FROM generate_series(1, 20000) g");
    marker = t.path('markers');
    await mkdir(marker);
    file = t.path('pg-local.yaml');
    await writeFile(file, stringify(recipe()));
  });
  after(async () => {
    await pg?.stop();
    await t?.cleanup();
  });

  it('backs up one snapshot per dump step while quiesced, unquiesces, and restores through the load steps', async () => {
    const r = await t.cli.run(['backup', '--recipe', file, ...params(), '--freeze-timeout', '30']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^recipe pg-local: artifact globals\.sql: snapshot [0-9a-f]{8} saved/m);
    assert.match(r.stdout, /^recipe pg-local: artifact database\.pgdump: snapshot [0-9a-f]{8} saved/m);
    assert.ok(!existsSync(join(marker, 'quiesced')) && existsSync(join(marker, 'unquiesced')), 'unquiesced');
    assert.equal(await pg.psql('postgres', inBackupMode), '0\n', 'backup mode ended');
    const snaps = await snapshots();
    assert.equal(snaps.length, 2);
    const runs = new Set(snaps.map((s) => s.labels['db.run']));
    assert.equal(runs.size, 1);
    assert.deepEqual(snaps.map((s) => s.labels['db.part']).sort(), ['database.pgdump', 'globals.sql']);
    for (const s of snaps) assert.deepEqual([s.labels['db.recipe'], s.labels['db.engine'], s.labels['db.artifacts']], ['pg-local', 'postgresql', 'database.pgdump']);
    const restore = await t.cli.run(['restore', 'latest', '--recipe', file, ...params({ database: 'shop_copy' })]);
    assert.equal(restore.code, 0, show(restore));
    assert.match(restore.stdout, /^recipe pg-local: loaded database\.pgdump from snapshot [0-9a-f]{8}/m);
    const digest = "SELECT count(*) || ':' || md5(string_agg(id || label, ',' ORDER BY id)) FROM items";
    assert.equal(await pg.psql('shop_copy', digest), await pg.psql('shop', digest));
  });

  const badInput: Array<{ name: string; over: Record<string, string>; code: number; line: RegExp; quiesceFirst?: boolean }> = [
    { name: 'a wrong password (in the prepare step)', over: { password: 'wrong' }, code: 14, line: /^holdfast: recipe pg-local: authentication failed: .*password authentication failed for user "postgres"/ },
    { name: 'a wrong password (in the held quiesce step)', over: { password: 'wrong' }, quiesceFirst: true, code: 14, line: /^holdfast: recipe no-prepare: authentication failed: .*password authentication failed for user "postgres"/ },
    { name: 'an unreachable server', over: { port: '1' }, code: 14, line: /^holdfast: recipe pg-local: cannot reach the database: .*Connection refused/ },
  ];
  for (const c of badInput) {
    it(`fails with one clear line and stores nothing for ${c.name}`, async () => {
      const count = (await snapshots()).length;
      let used = file;
      if (c.quiesceFirst) {
        used = t.path('no-prepare.yaml');
        const spec = recipe() as { actions: { prepare?: unknown } };
        delete spec.actions.prepare;
        await writeFile(used, stringify(spec));
      }
      const r = await t.cli.run(['backup', '--recipe', used, ...params(c.over)]);
      assert.equal(r.code, c.code, show(r));
      assert.equal(stderrLines(r).length, 1, show(r));
      assert.match(stderrLines(r)[0] ?? '', c.line);
      assert.equal((await snapshots()).length, count);
    });
  }

  it('a failing dump step stores nothing (the run\'s first artifacts are deleted again) and unquiesce still runs', async () => {
    const failing = t.path('failing.yaml');
    await writeFile(failing, stringify(recipe([{ name: 'broken', exec: { command: ['sh', '-c', 'echo partial output; echo "error: disk quota exceeded on /export" >&2; exit 3'] } }])));
    const count = (await snapshots()).length;
    const before = (await readFile(join(marker, 'unquiesced'), 'utf8')).split('\n').length;
    const r = await t.cli.run(['backup', '--recipe', failing, ...params()]);
    assert.equal(r.code, 1, show(r));
    assert.deepEqual(stderrLines(r), ["holdfast: recipe failing: dump step 'broken' exited with status 3: error: disk quota exceeded on /export"]);
    assert.equal((await snapshots()).length, count, 'no snapshot of the failed run is left');
    assert.equal((await readFile(join(marker, 'unquiesced'), 'utf8')).split('\n').length, before + 1, 'unquiesce ran');
    assert.equal(await pg.psql('postgres', inBackupMode), '0\n', 'backup mode ended');
  });

  it('refuses a malformed file, naming the file and the field; and missing or unknown parameters', async () => {
    const bad = t.path('bad.yaml');
    const spec = recipe() as { actions: { dump: Array<{ exec: { command: string[] } }> } };
    (spec.actions.dump[1] as { exec: { command: string[] } }).exec.command = [];
    await writeFile(bad, stringify(spec));
    const cases: Array<[string[], string]> = [
      [['backup', '--recipe', bad, ...params()], `holdfast: ${bad}: actions.dump.1.exec.command: Too small: expected array to have >=1 items`],
      [['backup', '--recipe', file, '--param', 'port=1'], `holdfast: ${file}: give --param password=… --param marker=… (required)`],
      [['backup', '--recipe', file, ...params(), '--param', 'colour=blue'], `holdfast: ${file}: no parameter colour (the recipe's parameters: host, port, password, database, marker)`],
      [['backup', '--recipe', t.path('missing.yaml')], `holdfast: cannot read the recipe file ${t.path('missing.yaml')}: ENOENT: no such file or directory, open '${t.path('missing.yaml')}'`],
    ];
    for (const [args, line] of cases) {
      const r = await t.cli.run(args);
      assert.equal(r.code, 2, show(r));
      assert.deepEqual(stderrLines(r), [line]);
    }
  });

  it('reads the shipped ClusterRecipes as recipe files, as the CRD schema does', async () => {
    const dir = join(PROJECT_ROOT, 'deploy', 'recipes');
    for (const name of await readdir(dir)) {
      const text = await readFile(join(dir, name), 'utf8');
      const manifest = parse(text) as { metadata: { name: string }; spec: unknown };
      assert.ok(recipeSpecSchema.safeParse(manifest.spec).success, `${name} is a valid CRD spec`);
      const r = parseRecipeFile(text, name, 'x');
      assert.equal(r.name, manifest.metadata.name);
      assert.deepEqual(Object.keys(r.spec.actions).sort(), Object.keys((manifest.spec as { actions: object }).actions).sort());
    }
  });
});
