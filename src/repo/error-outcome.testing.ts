/** Test helper: runs a decoder and returns the HoldfastError code it threw, or 'ok'. */
import { isHoldfastError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';

export function outcome(fn: () => unknown): ErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (isHoldfastError(err)) return err.code;
    throw new Error(`not a HoldfastError: ${String(err)}`, { cause: err });
  }
}
