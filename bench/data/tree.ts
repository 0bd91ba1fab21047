/**
 * The "tree" dataset: the Linux kernel source tree from Debian's linux-source-6.1,
 * extracted once into $HOLDFAST_CACHE/bench-data and copied (cp -a) into the scratch
 * dir for each run. The incremental change appends a few bytes to a seeded 2% of the
 * files and adds 25 new files of a few KiB.
 */
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { run } from '../proc.ts';
import { pickSeeded, seededText } from './seeded.ts';

const SEED = 20261121;
const CHANGED_FRACTION = 0.02;
const NEW_FILES = 25;

export interface PristineTree {
  /** The extracted top directory (e.g. …/linux-pristine/linux-source-6.1). */
  dir: string;
  /** Seconds spent extracting now; 0 when the cached copy was reused. */
  preparedS: number;
}

async function stampOf(tarball: string): Promise<string> {
  const st = await stat(tarball);
  return `${tarball} ${st.size} ${st.mtimeMs}\n`;
}

async function onlyChild(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  if (names.length !== 1 || names[0] === undefined) throw new Error(`expected one directory in ${dir}, found ${names.join(', ')}`);
  return join(dir, names[0]);
}

/** Extracts the kernel tarball once; later calls reuse it while the tarball is unchanged. */
export async function ensurePristineTree(tarball: string, dataDir: string): Promise<PristineTree> {
  const target = join(dataDir, 'linux-pristine');
  const stampFile = join(target, '.holdfast-bench-stamp');
  const stamp = await stampOf(tarball).catch(() => {
    throw new Error(`kernel source tarball ${tarball} missing: apt-get install linux-source-6.1 (make bench does)`);
  });
  if ((await readFile(stampFile, 'utf8').catch(() => '')) === stamp) return { dir: await onlyChild(target), preparedS: 0 };
  process.stderr.write(`bench: extracting ${tarball} into ${target} (once)\n`);
  const started = performance.now();
  const partial = `${target}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await run({ argv: ['tar', '-xJf', tarball, '-C', partial] });
  await writeFile(join(partial, '.holdfast-bench-stamp'), stamp);
  await rm(target, { recursive: true, force: true });
  await rename(partial, target);
  return { dir: await onlyChild(target), preparedS: (performance.now() - started) / 1000 };
}

/** A fresh copy of the pristine tree at `workDir`, which must not exist yet. */
export async function copyTree(pristine: string, workDir: string): Promise<void> {
  await run({ argv: ['cp', '-a', pristine, workDir] });
}

async function regularFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

export interface TreeChange {
  changedFiles: number;
  newFiles: number;
  addedBytes: number;
}

/** Applies the deterministic incremental change to a work copy of the tree. */
export async function modifyTree(dir: string): Promise<TreeChange> {
  const files = await regularFiles(dir);
  const chosen = pickSeeded(files, Math.floor(files.length * CHANGED_FRACTION), SEED);
  let addedBytes = 0;
  for (const [i, file] of chosen.entries()) {
    const tail = `\n/* holdfast-bench edit ${i} */\n`;
    await appendFile(join(dir, file), tail);
    addedBytes += tail.length;
  }
  const newDir = join(dir, 'holdfast-bench-new');
  await mkdir(newDir);
  for (let i = 0; i < NEW_FILES; i++) {
    const text = seededText(2048 + ((i * 997) % 6144), SEED + i);
    await writeFile(join(newDir, `new-${String(i).padStart(2, '0')}.txt`), text);
    addedBytes += Buffer.byteLength(text);
  }
  return { changedFiles: chosen.length, newFiles: NEW_FILES, addedBytes };
}
