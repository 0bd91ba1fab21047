/**
 * Reads a GetObject response body, whole or as it arrives, and checks it against the
 * Content-Length the server announced: a connection cut mid-body must never pass as a
 * short object. Read whole with a known length, the body is copied into one buffer as it
 * arrives (gathering the pieces and joining them at the end held every large object twice
 * for a moment).
 */
import type { Readable } from 'node:stream';
import { HoldfastError, messageOf } from '../../core/errors.ts';
import type { S3ErrorContext } from './s3-errors.ts';

export async function readBody(body: unknown, contentLength: number | undefined, ctx: () => S3ErrorContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const whole = contentLength !== undefined && contentLength > 0 ? Buffer.allocUnsafeSlow(contentLength) : undefined;
  let received = 0;
  for await (const buf of streamBody(body, contentLength, ctx)) {
    if (whole && received + buf.byteLength <= whole.byteLength) whole.set(buf, received);
    else chunks.push(buf);
    received += buf.byteLength;
  }
  if (whole) return whole;
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
}

/** A GetObject response body's chunks as they arrive, checked against the announced length at the end. */
export async function* streamBody(body: unknown, contentLength: number | undefined, ctx: () => S3ErrorContext): AsyncIterable<Buffer> {
  if (body === undefined || body === null) {
    if (contentLength === 0 || contentLength === undefined) return;
    throw truncated(0, contentLength, ctx());
  }
  let received = 0;
  const chunks = (body as Readable)[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await chunks.next();
    } catch (err) {
      const c = ctx();
      throw new HoldfastError('STORAGE_TRANSIENT', `${c.operation} on S3 bucket '${c.bucket}' failed after ${received} bytes of the body: ${messageOf(err)}`, { cause: err });
    }
    if (next.done) break;
    const buf = next.value as Buffer;
    received += buf.byteLength;
    yield buf;
  }
  if (contentLength !== undefined && received !== contentLength) throw truncated(received, contentLength, ctx());
}

function truncated(received: number, expected: number, ctx: S3ErrorContext): HoldfastError {
  return new HoldfastError('STORAGE_TRANSIENT', `${ctx.operation} on S3 bucket '${ctx.bucket}' returned ${received} of ${expected} bytes (truncated body)`);
}
