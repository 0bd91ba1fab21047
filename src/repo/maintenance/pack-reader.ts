/**
 * Reads one whole pack and verifies it against its name, its own header and the index:
 * the check --read-data unit of work. Returns the damaged blobs; pack-level problems
 * (wrong hash, unreadable header) are added to the report directly.
 */
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../blob.ts';
import { contentHash } from '../crypto/keyed-hash.ts';
import { open } from '../crypto/aead.ts';
import { PACK_HEADER_AAD, PACK_TRAILER_SIZE, decodePackHeader, locateEntries, readTrailer } from '../pack/pack-format.ts';
import type { Repository } from '../repository.ts';
import type { CheckReport } from './check-report.ts';

export interface DamagedBlob {
  readonly blob: Id;
  readonly message: string;
}

export async function readPack(repo: Repository, pack: Id, indexed: readonly BlobLocation[], report: CheckReport): Promise<DamagedBlob[]> {
  let data: Buffer;
  try {
    data = await repo.storage.get({ type: 'data', name: pack });
  } catch (err) {
    report.issues.push({ severity: 'error', pack, message: `pack ${pack}: cannot read: ${messageOf(err)}` });
    return indexed.map((l) => ({ blob: l.id, message: 'pack unreadable' }));
  }
  report.bytesRead += data.byteLength;
  if (contentHash(data).toString('hex') !== pack) {
    report.issues.push({ severity: 'error', pack, message: `pack ${pack}: content does not match its name (damaged in storage)` });
  }
  const header = headerLocations(repo, pack, data);
  if (typeof header === 'string') report.issues.push({ severity: 'error', pack, message: `pack ${pack}: ${header}` });
  const inHeader = typeof header === 'string' ? undefined : new Map(header.map((l) => [l.id, l]));
  const damaged: DamagedBlob[] = [];
  for (const loc of indexed) {
    const h = inHeader?.get(loc.id);
    if (inHeader && (!h || h.offset !== loc.offset || h.length !== loc.length)) {
      damaged.push({ blob: loc.id, message: 'index and pack header disagree about this blob' });
      continue;
    }
    try {
      repo.decodeBlob(loc, data.subarray(loc.offset, loc.offset + loc.length));
    } catch (err) {
      damaged.push({ blob: loc.id, message: messageOf(err) });
    }
  }
  return damaged;
}

function headerLocations(repo: Repository, pack: Id, data: Buffer): BlobLocation[] | string {
  try {
    const headerLength = readTrailer(data, pack);
    const headerStart = data.byteLength - PACK_TRAILER_SIZE - headerLength;
    const plain = open(repo.key.encKey, data.subarray(headerStart, data.byteLength - PACK_TRAILER_SIZE), PACK_HEADER_AAD, `header of pack ${pack}`);
    return locateEntries(pack, decodePackHeader(plain, pack), headerStart, pack);
  } catch (err) {
    return `header unreadable: ${messageOf(err)}`;
  }
}
