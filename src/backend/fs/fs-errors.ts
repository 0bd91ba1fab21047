/**
 * Translation of Node.js filesystem errors into HoldfastErrors whose code tells callers
 * what to do (retry, report a permission problem, treat as missing) and whose message
 * names the object and the repository location.
 */
import { HoldfastError, messageOf, sysCode, type ErrorCode } from '../../core/errors.ts';

export type FsOperation = 'read' | 'write' | 'delete' | 'stat' | 'list' | 'create';

export interface FsErrorContext {
  readonly op: FsOperation;
  /** The object or folder, relative to the location: `data/ab/abcd…`, `keys`. */
  readonly subject: string;
  readonly location: string;
}

const TRANSIENT = new Set(['EAGAIN', 'EBUSY', 'EINTR', 'EMFILE', 'ENFILE', 'ETIMEDOUT']);
const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EAGAIN: 'resource temporarily unavailable',
  EBUSY: 'resource busy',
  EINTR: 'interrupted system call',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files in the system',
  ETIMEDOUT: 'timed out',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is not a folder',
  EISDIR: 'is a folder, not a file',
  EIO: 'input/output error',
};

/**
 * ENOENT means a missing object when reading; when writing it means a missing folder
 * (the repository was never created or was removed), which is an I/O failure.
 */
function fsErrorCode(errno: string | undefined, op: FsOperation): ErrorCode {
  if (errno === undefined) return 'STORAGE_IO';
  if (errno === 'ENOENT') return op === 'write' || op === 'create' ? 'STORAGE_IO' : 'OBJECT_NOT_FOUND';
  if (PERMISSION.has(errno)) return 'STORAGE_PERMISSION';
  if (TRANSIENT.has(errno)) return 'STORAGE_TRANSIENT';
  return 'STORAGE_IO';
}

export function toStorageError(err: unknown, ctx: FsErrorContext): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const errno = sysCode(err);
  const reason = (errno !== undefined ? REASONS[errno] : undefined) ?? messageOf(err);
  const message = `cannot ${ctx.op} ${ctx.subject} in ${ctx.location}: ${reason}`;
  return new HoldfastError(fsErrorCode(errno, ctx.op), message, { cause: err });
}
