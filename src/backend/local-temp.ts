/** Temporary files on the local machine for storages that keep nothing local (S3): the files `putFile` uploads. */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function localTempPath(): string {
  return join(tmpdir(), `.holdfast-${randomBytes(12).toString('hex')}`);
}
