/**
 * Reads a GetObject response body whole and checks it against the Content-Length the
 * server announced: a connection cut mid-body must never pass as a short object. With a
 * known length the body is copied into one buffer as it arrives (gathering the pieces and
 * joining them at the end held every large object twice for a moment).
 */
import type { Readable } from 'node:stream';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { S3ErrorContext } from './s3-errors.ts';

export async function readBody(body: unknown, contentLength: number | undefined, ctx: () => S3ErrorContext): Promise<Buffer> {
  if (body === undefined || body === null) {
    if (contentLength === 0 || contentLength === undefined) return Buffer.alloc(0);
    throw truncated(0, contentLength, ctx());
  }
  const chunks: Buffer[] = [];
  const whole = contentLength !== undefined && contentLength > 0 ? Buffer.allocUnsafeSlow(contentLength) : undefined;
  let received = 0;
  try {
    for await (const chunk of body as Readable) {
      const buf = chunk as Buffer;
      if (whole && received + buf.byteLength <= whole.byteLength) whole.set(buf, received);
      else chunks.push(buf);
      received += buf.byteLength;
    }
  } catch (err) {
    const c = ctx();
    throw new HoldfastError('STORAGE_TRANSIENT', `${c.operation} on S3 bucket '${c.bucket}' failed after ${received} bytes of the body: ${messageOf(err)}`, { cause: err });
  }
  if (contentLength !== undefined && received !== contentLength) throw truncated(received, contentLength, ctx());
  if (whole) return whole;
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
}

function truncated(received: number, expected: number, ctx: S3ErrorContext): HoldfastError {
  return new HoldfastError('STORAGE_TRANSIENT', `${ctx.operation} on S3 bucket '${ctx.bucket}' returned ${received} of ${expected} bytes (truncated body)`);
}
