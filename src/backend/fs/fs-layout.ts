/**
 * Where objects live under a filesystem repository root, and how temporary files are
 * named. Paths here are relative to the root and always use `/`, so they read the same
 * in error messages on every platform.
 */
import { randomBytes } from 'node:crypto';
import type { ObjectHandle, ObjectType } from '../storage.ts';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Temporary files start with a dot, which no object name may, so listings skip them. */
export const TEMP_PREFIX = '.tmp-';

export const FOLDER_TYPES: readonly Exclude<ObjectType, 'config'>[] = ['keys', 'data', 'index', 'snapshots', 'locks'];

export const DATA_SUBFOLDERS: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  `data/${i.toString(16).padStart(2, '0')}`,
);

export function objectPath(handle: ObjectHandle): string {
  if (handle.type === 'config') return 'config';
  if (handle.type === 'data') return `data/${handle.name.slice(0, 2)}/${handle.name}`;
  return `${handle.type}/${handle.name}`;
}

export function tempFileName(): string {
  return `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`;
}

export function isTempFileName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}
