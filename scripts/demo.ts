/**
 * `make demo`: the main job on the embedded default (a local filesystem repository).
 * Backs up a real directory of this machine and a streamed PostgreSQL dump, changes
 * both and backs up again, lists snapshots and stats, restores both, and proves the
 * restored bytes are identical. Every step prints the command it runs and its output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPostgres } from './lib/postgres.ts';
import type { Postgres } from './lib/postgres.ts';

const root = resolve(import.meta.dirname, '..');
const holdfast = join(root, 'bin/holdfast');
const work = mkdtempSync(join(tmpdir(), 'holdfast-demo-'));
chmodSync(work, 0o755);
const repo = join(work, 'repo');
const env = { ...process.env, HOLDFAST_REPOSITORY: repo, HOLDFAST_PASSWORD: 'demo-password' };
const started = Date.now();

function title(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

function run(args: string[], opts: { input?: Buffer; quiet?: boolean } = {}): string {
  process.stdout.write(`$ holdfast ${args.join(' ')}\n`);
  const r = spawnSync(holdfast, args, { env, input: opts.input, maxBuffer: 1 << 30 });
  const out = r.stdout.toString();
  if (!opts.quiet) process.stdout.write(indent(out));
  if (r.status !== 0) throw new Error(`holdfast ${args[0]} failed (${r.status}): ${r.stderr.toString()}`);
  return out;
}

function indent(text: string): string {
  return text.trimEnd() ? `${text.trimEnd().replace(/^/gm, '  ')}\n` : '';
}

function treeHash(dir: string): string {
  const r = spawnSync('bash', ['-c', `cd "${dir}" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum`]);
  return r.stdout.toString().slice(0, 16);
}

/**
 * Streams pg_dump into `holdfast backup --stdin`, hashing the bytes on the way; fine
 * chunks (~64 KiB), as for any dump whose small edits should cost little (ADR 0027).
 */
async function backupDump(pg: Postgres): Promise<string> {
  process.stdout.write(`$ pg_dump ${pg.database} | holdfast backup --stdin --chunk-profile fine --stdin-filename ${pg.database}.sql --tag postgres\n`);
  const dump = spawn(pg.bin('pg_dump'), pg.args(['--no-owner']), { stdio: ['ignore', 'pipe', 'inherit'] });
  const backup = spawn(holdfast, ['backup', '--stdin', '--chunk-profile', 'fine', '--stdin-filename', `${pg.database}.sql`, '--tag', 'postgres'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const hash = createHash('sha256');
  dump.stdout.on('data', (b: Buffer) => hash.update(b));
  dump.stdout.pipe(backup.stdin);
  let out = '';
  backup.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const [dumpCode, backupCode] = await Promise.all([exitOf(dump), exitOf(backup)]);
  process.stdout.write(indent(out));
  if (dumpCode !== 0 || backupCode !== 0) throw new Error(`pg_dump exited ${dumpCode}, holdfast ${backupCode}`);
  return hash.digest('hex');
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((res) => child.on('close', (code) => res(code ?? 1)));
}

async function main(): Promise<void> {
  const source = join(work, 'include');
  title('1. A repository on the local filesystem');
  run(['init']);

  title('2. Back up a real directory of this machine (/usr/include, copied so we can change it)');
  cpSync('/usr/include', source, { recursive: true, verbatimSymlinks: true });
  run(['backup', source, '--tag', 'demo']);
  const firstTree = treeHash(source);

  title('3. Back up a PostgreSQL database as a stream (pg_dump piped in, never written to disk)');
  const pg = await startPostgres(join(work, 'pg'));
  try {
    pg.sql('CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric, note text)');
    pg.sql("INSERT INTO orders SELECT g, 'customer ' || (g % 977), (g * 7919) % 100000 / 100.0, md5(g::text) FROM generate_series(1, 200000) g");
    const dumpHash1 = await backupDump(pg);

    title('4. Change both (edit 20 headers, add one; 2,000 new orders, 501 archived), back up again: only changes are stored');
    const headers = readdirSync(join(source, 'linux')).filter((f) => f.endsWith('.h')).slice(0, 20);
    for (const h of headers) appendFileSync(join(source, 'linux', h), '\n/* changed by the holdfast demo */\n');
    writeFileSync(join(source, 'holdfast-demo-new.h'), '#define HOLDFAST_DEMO 1\n');
    run(['backup', source, '--tag', 'demo']);
    pg.sql("INSERT INTO orders SELECT g, 'customer ' || (g % 977), 12.5, md5(g::text) FROM generate_series(200001, 202000) g");
    pg.sql('DELETE FROM orders WHERE id BETWEEN 150000 AND 150500');
    const dumpHash2 = await backupDump(pg);

    title('5. Snapshots and repository statistics');
    run(['snapshots']);
    const snaps = JSON.parse(run(['snapshots', '--json'], { quiet: true })) as Array<{ id: string; kind: string }>;
    run(['diff', snaps[0]?.id.slice(0, 8) ?? '', snaps[2]?.id.slice(0, 8) ?? ''], { quiet: true });
    run(['stats']);
    run(['check', '--read-data']);

    title('6. Restore both and prove the bytes are identical');
    run(['restore', 'latest', '--tag', 'demo', '--target', join(work, 'restored'), '--verify']);
    const restoredHash = treeHash(join(work, 'restored', 'include'));
    const currentHash = treeHash(source);
    const dumpOut = spawnSync(holdfast, ['dump', 'latest'], { env, maxBuffer: 1 << 30 });
    const restoredDump = createHash('sha256').update(dumpOut.stdout).digest('hex');
    process.stdout.write(`$ holdfast dump latest | sha256sum\n`);
    const firstDump = spawnSync(holdfast, ['dump', snaps[1]?.id.slice(0, 8) ?? ''], { env, maxBuffer: 1 << 30 });
    const firstDumpHash = createHash('sha256').update(firstDump.stdout).digest('hex');
    pg.sql('CREATE DATABASE restored');
    const load = spawnSync(pg.bin('psql'), pg.args(['-q', '-v', 'ON_ERROR_STOP=1', '-d', 'restored'], 'restored'), { input: dumpOut.stdout });
    if (load.status !== 0) throw new Error(`loading the restored dump failed: ${load.stderr.toString()}`);
    const sums = ['demo', 'restored'].map((db) => pg.sql('SELECT count(*) || \' rows, sum \' || sum(total) FROM orders', db));

    title('Result');
    const check = (ok: boolean, what: string): string => `${ok ? '\x1b[32mOK\x1b[0m  ' : '\x1b[31mFAIL\x1b[0m'} ${what}`;
    const lines = [
      check(restoredHash === currentHash && currentHash !== firstTree, `directory restored byte for byte (tree hash ${restoredHash})`),
      check(restoredDump === dumpHash2, `second dump restored byte for byte (sha256 ${restoredDump.slice(0, 16)})`),
      check(firstDumpHash === dumpHash1, `first dump restored byte for byte (sha256 ${firstDumpHash.slice(0, 16)})`),
      check(sums[0] === sums[1], `dump loaded into a new database: ${sums[1]} (source: ${sums[0]})`),
    ];
    process.stdout.write(`${lines.join('\n')}\n\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; repository at ${repo}\n`);
    if (lines.some((l) => l.includes('FAIL'))) process.exitCode = 1;
  } finally {
    pg.stop();
  }
}

try {
  await main();
} finally {
  if (existsSync(work) && process.exitCode !== 1) rmSync(work, { recursive: true, force: true });
}
