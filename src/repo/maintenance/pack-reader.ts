/**
 * Reads one whole pack and verifies it against its name, its own header and the index:
 * the check --read-data unit of work. Pack-level problems (unreadable, wrong hash,
 * unreadable header) come back as issues; blobs the header disagrees about, or that do
 * not decode, come back as damaged blobs, in index order.
 */
import { releaseBuffer } from '../../core/buffers.ts';
import { messageOf } from '../../core/errors.ts';
import type { Id } from '../../core/ids.ts';
import type { BlobLocation } from '../blob.ts';
import { contentHash } from '../crypto/keyed-hash.ts';
import { packHeaderOf } from '../pack/pack-header.ts';
import type { Repository } from '../repository.ts';
import type { BlobVerifier, DamagedBlob } from './blob-verifier.ts';
import type { CheckIssue } from './check-report.ts';

export type { DamagedBlob } from './blob-verifier.ts';

export interface PackCheck {
  readonly pack: Id;
  readonly bytesRead: number;
  readonly issues: CheckIssue[];
  readonly damaged: DamagedBlob[];
}

/** Reads a pack of `size` bytes (as listed; into the verifier's buffer when it offers one) and checks it. */
export async function readPack(repo: Repository, pack: Id, indexed: readonly BlobLocation[], verifier: BlobVerifier, size?: number): Promise<PackCheck> {
  const into = size !== undefined ? verifier.bufferFor?.(size) : undefined;
  let handedOver = false;
  try {
    let data: Buffer;
    try {
      data = await repo.storage.get({ type: 'data', name: pack }, undefined, into);
    } catch (err) {
      const issue: CheckIssue = { severity: 'error', pack, message: `pack ${pack}: cannot read: ${messageOf(err)}` };
      return { pack, bytesRead: 0, issues: [issue], damaged: indexed.map((l) => ({ blob: l.id, message: 'pack unreadable' })) };
    }
    handedOver = into !== undefined && data.buffer === into.buffer;
    return await checkPackBytes(repo, pack, indexed, verifier, data);
  } finally {
    if (into && !handedOver) verifier.giveBack?.(into);
  }
}

/** Checks a pack's bytes against its name, its header and the index; hands them to `verifier.verify` (which may take them over). */
async function checkPackBytes(repo: Repository, pack: Id, indexed: readonly BlobLocation[], verifier: BlobVerifier, data: Buffer): Promise<PackCheck> {
  const issues: CheckIssue[] = [];
  const bytesRead = data.byteLength;
  if (contentHash(data).toString('hex') !== pack) {
    issues.push({ severity: 'error', pack, message: `pack ${pack}: content does not match its name (damaged in storage)` });
  }
  const header = headerLocations(repo, pack, data);
  if (typeof header === 'string') issues.push({ severity: 'error', pack, message: `pack ${pack}: ${header}` });
  const disagree = typeof header === 'string' ? new Set<Id>() : headerMismatches(indexed, header);
  const toDecode = disagree.size === 0 ? indexed : indexed.filter((l) => !disagree.has(l.id));
  const verified = await verifier.verify(pack, data, toDecode);
  releaseBuffer(data);
  const failed = new Map(verified.map((d) => [d.blob, d.message]));
  const damaged: DamagedBlob[] = [];
  for (const loc of indexed) {
    if (disagree.has(loc.id)) damaged.push({ blob: loc.id, message: 'index and pack header disagree about this blob' });
    else if (failed.has(loc.id)) damaged.push({ blob: loc.id, message: failed.get(loc.id) as string });
  }
  return { pack, bytesRead, issues, damaged };
}

/** Indexed blobs the pack's header does not list at the same offset and length. */
function headerMismatches(indexed: readonly BlobLocation[], header: readonly BlobLocation[]): Set<Id> {
  const inHeader = new Map(header.map((l) => [l.id, l]));
  const out = new Set<Id>();
  for (const loc of indexed) {
    const h = inHeader.get(loc.id);
    if (!h || h.offset !== loc.offset || h.length !== loc.length) out.add(loc.id);
  }
  return out;
}

function headerLocations(repo: Repository, pack: Id, data: Buffer): BlobLocation[] | string {
  try {
    return packHeaderOf(repo.key.encKey, pack, data);
  } catch (err) {
    return `header unreadable: ${messageOf(err)}`;
  }
}
