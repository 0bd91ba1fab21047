/**
 * restic 0.14 (Debian bookworm): repository format v2 for compression, `--compression
 * auto` on backups. Each repository gets its own `--cache-dir` under the scratch dir,
 * created empty with the repository and removed with it, so no run sees another's
 * cache and ~/.cache/restic is never touched. `check` uses restic's default of a
 * fresh temporary cache. S3 repositories use the same `s3:http://…/bucket/prefix` form
 * and AWS_* keys as holdfast (restic's default of 5 connections).
 */
import { pipeline, run } from '../proc.ts';
import { BENCH_PASSWORD, logged, type DatabaseSource, type RepoHandle, type ToolAdapter } from './tool.ts';

const ENV = { RESTIC_PASSWORD: BENCH_PASSWORD };

function base(repo: RepoHandle): string[] {
  return ['restic', '-r', repo.location, '--cache-dir', repo.cacheDir];
}

export const restic: ToolAdapter = {
  name: 'restic',
  async unavailable() {
    return run({ argv: ['restic', 'version'] }).then(
      () => undefined,
      () => 'restic not found on PATH (apt-get install restic; make bench does)',
    );
  },
  async version() {
    return (await run({ argv: ['restic', 'version'] })).trim();
  },
  init: (repo) => logged(repo, [...base(repo), 'init', '--repository-version', '2'], ENV),
  backupDir: (repo, dir) => logged(repo, [...base(repo), 'backup', '--compression', 'auto', dir], ENV),
  backupStream: (repo, producer, filename) =>
    logged(repo, pipeline(producer, [...base(repo), 'backup', '--compression', 'auto', '--stdin', '--stdin-filename', filename]), ENV),
  restore: (repo, target) => logged(repo, [...base(repo), 'restore', 'latest', '--target', target], ENV),
  dump: (repo, filename) => ({ ...logged(repo, [...base(repo), 'dump', 'latest', `/${filename}`], ENV), stdout: 'null' }),
  checkReadData: (repo) => logged(repo, [...base(repo), 'check', '--read-data'], ENV),
  listSnapshots: (repo) => logged(repo, [...base(repo), 'snapshots'], ENV),
  backupDatabase: (repo: RepoHandle, source: DatabaseSource) =>
    logged(repo, pipeline(source.dump, [...base(repo), 'backup', '--json', '--compression', 'auto', '--stdin', '--stdin-filename', source.filename]), { ...source.env, ...ENV }),
};
