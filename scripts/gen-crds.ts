/**
 * Writes the CRDs generated from src/k8s/api into deploy/crds (and the Helm chart).
 *   node scripts/gen-crds.ts          write them
 *   node scripts/gen-crds.ts --check  exit 1 with a summary when the committed files differ
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CRD_DIR, diffFiles, formatDifferences, generatedFiles } from '../src/k8s/api/crd-files.ts';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

function staleFiles(expected: Map<string, string>): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(root, CRD_DIR));
  } catch {
    return [];
  }
  return names.map((n) => `${CRD_DIR}/${n}`).filter((p) => p.endsWith('.yaml') && !expected.has(p));
}

const expected = generatedFiles();
const committed = new Map([...expected.keys()].map((p) => [p, readOrUndefined(p)]));
const diffs = diffFiles(expected, committed, staleFiles(expected));

if (check) {
  if (diffs.length > 0) {
    process.stderr.write(`gen-crds: the committed CRDs are not what the API generates:\n${formatDifferences(diffs)}\n`);
    process.exitCode = 1;
  }
} else {
  for (const d of diffs) {
    if (d.problem === 'stale') {
      rmSync(join(root, d.path));
      continue;
    }
    mkdirSync(dirname(join(root, d.path)), { recursive: true });
    writeFileSync(join(root, d.path), expected.get(d.path) as string);
  }
  process.stdout.write(diffs.length === 0 ? 'gen-crds: up to date\n' : `gen-crds: updated\n${diffs.map((d) => `  ${d.path}`).join('\n')}\n`);
}
