/**
 * Holdfast's one error base class. Every failure that crosses a module boundary is a
 * HoldfastError with a stable `code` (callers match on it, never on message text), a
 * message that names what and where, and the underlying `cause` when there is one.
 */
import { getSystemErrorMessage, getSystemErrorName } from 'node:util';

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'REPO_NOT_FOUND'
  | 'REPO_EXISTS'
  | 'REPO_CORRUPT'
  | 'REPO_LOCKED'
  | 'REPO_VERSION'
  | 'WRONG_PASSWORD'
  | 'KEY_NOT_FOUND'
  | 'LAST_KEY'
  | 'AUTH_FAILED'
  | 'OBJECT_NOT_FOUND'
  | 'OBJECT_EXISTS'
  | 'OBJECT_LOCKED'
  | 'STORAGE_IO'
  | 'STORAGE_PERMISSION'
  | 'STORAGE_TRANSIENT'
  | 'SNAPSHOT_NOT_FOUND'
  | 'SOURCE_UNREADABLE'
  | 'COMMAND_FAILED'
  | 'RESTORE_TARGET'
  | 'INTERRUPTED'
  | 'INTERNAL'
  | 'TIMEOUT'
  // consistency layer: hooks, freezes, databases, consistency groups
  | 'ACTION_FAILED'
  | 'ACTION_TIMEOUT'
  | 'FREEZE_FAILED'
  | 'FREEZE_EXPIRED'
  | 'DATABASE_UNREACHABLE'
  | 'DATABASE_AUTH'
  | 'DUMP_FAILED'
  | 'LOAD_FAILED'
  | 'GROUP_INCONSISTENT';

export class HoldfastError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HoldfastError';
    this.code = code;
  }
}

export function isHoldfastError(err: unknown, code?: ErrorCode): err is HoldfastError {
  return err instanceof HoldfastError && (code === undefined || err.code === code);
}

/** Failures worth retrying: the same call may succeed a moment later. */
export function isRetryable(err: unknown): boolean {
  return isHoldfastError(err, 'STORAGE_TRANSIENT');
}

/** Narrows an unknown thrown value to a message; for wrapping foreign errors. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The Node.js system error code (ENOENT, EACCES …) of a thrown value, if any. */
export function sysCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A failed system call in Node's own words (`ENOENT: no such file or directory, open
 * '/x'`), for errno values native code reports: the same message Node's fs would throw.
 */
export function systemErrorMessage(errno: number, syscall: string, path?: string): string {
  return `${getSystemErrorName(-errno)}: ${getSystemErrorMessage(-errno)}, ${syscall}${path !== undefined ? ` '${path}'` : ''}`;
}
