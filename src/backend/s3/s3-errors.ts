/**
 * Maps what the AWS SDK throws onto Holdfast's storage error codes, so that retry and the
 * CLI need not know about S3: throttling, 5xx, timeouts and connection resets are
 * transient; 403s are permission problems; a missing bucket means no repository here.
 * Messages name the operation, the object and the bucket.
 */
import { HoldfastError, messageOf, sysCode } from '../../core/errors.ts';

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

const TRANSIENT_NAMES = new Set([
  'SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeTooSkewed', 'Throttling',
  'ThrottlingException', 'TooManyRequestsException', 'TimeoutError', 'RequestTimeoutException', 'XMinioServerNotInitialized',
]);
const PERMISSION_NAMES = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'ExpiredToken', 'InvalidToken']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

export interface S3ErrorContext {
  /** e.g. `put data/ab12…`. */
  readonly operation: string;
  readonly bucket: string;
  /** The repository location for messages. */
  readonly location: string;
}

export function statusOf(err: unknown): number | undefined {
  return (err as SdkErrorShape | null)?.$metadata?.httpStatusCode;
}

export function errorName(err: unknown): string {
  const e = err as SdkErrorShape | null;
  return e?.Code ?? e?.name ?? 'Error';
}

export function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

export function isNoSuchBucket(err: unknown): boolean {
  return errorName(err) === 'NoSuchBucket';
}

export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 || status === 429 || TRANSIENT_NAMES.has(errorName(err));
  const code = sysCode(err);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  // No HTTP status: the request never got a whole answer (reset, timeout, aborted body).
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || /socket hang up|aborted|premature close/i.test(messageOf(err))) return true;
  return TRANSIENT_NAMES.has(errorName(err)) || (err as SdkErrorShape | null)?.$retryable !== undefined;
}

export function toS3Error(err: unknown, ctx: S3ErrorContext): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const name = errorName(err);
  const where = `S3 bucket '${ctx.bucket}' (${ctx.location})`;
  const detail = describeFailure(err, name);
  if (isNoSuchBucket(err)) {
    return new HoldfastError('REPO_NOT_FOUND', `${ctx.operation} failed: the bucket '${ctx.bucket}' does not exist (${ctx.location})`, { cause: err });
  }
  if (PERMISSION_NAMES.has(name) || statusOf(err) === 403) {
    return new HoldfastError('STORAGE_PERMISSION', `${ctx.operation} refused by ${where}: ${detail}`, { cause: err });
  }
  if (isTransient(err)) {
    return new HoldfastError('STORAGE_TRANSIENT', `${ctx.operation} on ${where} failed: ${detail}`, { cause: err });
  }
  return new HoldfastError('STORAGE_IO', `${ctx.operation} on ${where} failed: ${detail}`, { cause: err });
}

/** `Code: message`; answers without a body (HEAD) carry only their HTTP status. */
function describeFailure(err: unknown, name: string): string {
  const status = statusOf(err);
  const message = messageOf(err);
  if ((name === 'Unknown' || name === 'UnknownError' || message === 'UnknownError') && status !== undefined) {
    return status === 403 ? 'HTTP 403 Forbidden (wrong credentials, or no permission for this)' : `HTTP ${status}`;
  }
  return message === name || message === '' ? name : `${name}: ${message}`;
}
