/**
 * Argument checks every Storage implementation applies, so an upper layer tested against
 * the in-memory storage cannot rely on a name or range the filesystem would reject.
 *
 * Object names are single path components of letters, digits, `_`, `-` and `.` that do not
 * start with `.` (names starting with `.` are reserved for temporary files). Data object
 * names start with two lowercase hex characters, which pick their subfolder.
 */
import { HoldfastError } from '../core/errors.ts';
import { describeHandle, type ByteRange, type ObjectHandle } from './storage.ts';

const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const DATA_NAME_PATTERN = /^[0-9a-f]{2}/;

export function isValidObjectName(handle: ObjectHandle): boolean {
  if (handle.type === 'config') return true;
  if (!NAME_PATTERN.test(handle.name)) return false;
  return handle.type !== 'data' || DATA_NAME_PATTERN.test(handle.name);
}

export function checkHandle(handle: ObjectHandle): void {
  if (!isValidObjectName(handle)) {
    throw new HoldfastError('INTERNAL', `invalid object name ${JSON.stringify(describeHandle(handle))}`);
  }
}

export function checkRange(handle: ObjectHandle, range: ByteRange | undefined): void {
  if (range === undefined) return;
  const valid = Number.isSafeInteger(range.offset) && Number.isSafeInteger(range.length);
  if (!valid || range.offset < 0 || range.length < 0) {
    throw new HoldfastError(
      'INTERNAL',
      `invalid byte range offset=${range.offset} length=${range.length} for ${describeHandle(handle)}`,
    );
  }
}
