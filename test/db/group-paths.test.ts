/**
 * A consistency group with `paths`: an application that writes each event both as a row
 * in PostgreSQL and as a file in a directory, paused at a safe point between events by the
 * group's pause command (it acknowledges the request, as scalar-admin's pause does). The
 * database and the directory are captured in the same pause window, so after a restore
 * the rows and the files name the same events. A path that does not exist fails before
 * anything is paused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { show, stderrLines } from '../helpers/cli.ts';
import { startPostgres } from '../helpers/databases/postgres.ts';
import type { PgServer } from '../helpers/databases/postgres.ts';
import { waitFor } from '../helpers/databases/process.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

interface Listed {
  readonly id: string;
  readonly labels: Record<string, string>;
}

/** Event i: a row, then a file; between events it honours a pause request by acknowledging it and waiting. */
const APP = `
dir=$1; shift
i=0
while :; do
  if [ -e "$dir/pause" ]; then
    touch "$dir/paused"
    while [ -e "$dir/pause" ]; do sleep 0.05; done
    rm -f "$dir/paused"
  fi
  i=$((i+1))
  "$@" -c "INSERT INTO events VALUES ($i)" >/dev/null || exit 1
  echo "event $i" > "$dir/files/$i"
done`;

describe('consistency group with paths (CLI mode)', () => {
  let pg: PgServer;
  let t: TestRepository;
  let app: ChildProcess | undefined;
  let dir = '';

  before(async () => {
    [pg, t] = await Promise.all([startPostgres(), createTestRepository()]);
    await pg.psql('postgres', 'CREATE DATABASE app');
    await pg.psql('app', 'CREATE TABLE events (id int PRIMARY KEY)');
    dir = t.path('app');
    await mkdir(join(dir, 'files'), { recursive: true });
    app = spawn('sh', ['-c', APP, 'app', dir, `${pg.binDir}/psql`, ...pg.conn, '-d', 'app', '-qAtX'], { stdio: 'ignore' });
  });
  after(async () => {
    app?.kill('SIGKILL');
    await pg?.stop();
    await t?.cleanup();
  });

  const groupFile = async (name: string, paths: string[]): Promise<string> => {
    const file = t.path(`${name}.yaml`);
    await writeFile(file, stringify({
      name, clockSkewMargin: '1s', timeout: '2m',
      members: [{ url: pg.url('app') }],
      paths,
      pause: { shell: `touch ${dir}/pause; n=0; until [ -e ${dir}/paused ]; do n=$((n+1)); [ $n -lt 200 ] || exit 1; sleep 0.05; done` },
      resume: { shell: `rm -f ${dir}/pause` },
    }));
    return file;
  };
  const events = async (): Promise<number> => Number(await pg.psql('app', 'SELECT count(*) FROM events'));

  it('captures the database and the files in one pause window: after a restore, rows and files name the same events', async () => {
    await waitFor('the app to write', async () => assert.ok((await events()) > 50), 60_000);
    const file = await groupFile('app', [join(dir, 'files')]);
    const r = await t.cli.run(['backup', '--group', file], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^paths ${join(dir, 'files')}: snapshot [0-9a-f]{8} saved$`, 'm'));
    assert.match(r.stdout, /^group app: Consistent$/m);
    assert.ok(!existsSync(join(dir, 'pause')), 'resumed');
    const resumedAt = await events();
    await waitFor('the app to write again', async () => assert.ok((await events()) > resumedAt), 30_000);

    const snaps = (JSON.parse((await t.cli.run(['snapshots', '--json'])).stdout) as Listed[]).filter((s) => s.labels['holdfast.group'] === 'app');
    const tree = snaps.find((s) => s.labels['db.engine'] === undefined);
    const main = snaps.find((s) => s.labels['db.part'] === 'main');
    assert.ok(tree && main, show(r));
    assert.equal(tree.labels['holdfast.group.consistent'], 'true');
    assert.equal(tree.labels['holdfast.group.pausedAt'], main.labels['holdfast.group.pausedAt'], 'one window');

    const restoreDb = await t.cli.run(['restore', main.id, '--into', pg.url('app_copy')]);
    assert.equal(restoreDb.code, 0, show(restoreDb));
    const target = t.path('restored');
    const restoreFiles = await t.cli.run(['restore', tree.id, '--target', target]);
    assert.equal(restoreFiles.code, 0, show(restoreFiles));
    const rows = (await pg.psql('app_copy', 'SELECT id FROM events ORDER BY id')).trim().split('\n').map(Number);
    const files = (await readdir(join(target, 'files'))).map(Number).sort((a, b) => a - b);
    assert.ok(rows.length > 50);
    assert.deepEqual(files, rows, 'every restored row has its file and no file is without its row');
  });

  it('refuses a path that does not exist before pausing anything', async () => {
    const missing = join(dir, 'no-such-dir');
    const file = await groupFile('broken', [missing]);
    const r = await t.cli.run(['backup', '--group', file]);
    assert.equal(r.code, 2, show(r));
    assert.deepEqual(stderrLines(r), [`holdfast: ${file}: paths: cannot read ${missing}: ENOENT: no such file or directory, stat '${missing}'`]);
    assert.ok(!existsSync(join(dir, 'pause')), 'never paused');
  });
});
