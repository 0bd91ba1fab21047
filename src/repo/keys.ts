/**
 * Key slots: each `keys/<id>` object wraps the one master key with a password. Any slot
 * opens the repository; adding or removing a slot never touches the data.
 */
import { hostname } from 'node:os';
import { HoldfastError, isHoldfastError } from '../core/errors.ts';
import { randomId } from '../core/ids.ts';
import type { Id } from '../core/ids.ts';
import type { Storage, StorageReader } from '../backend/storage.ts';
import { createKeySlot, openKeySlot, parseKeySlot } from './crypto/key-slot.ts';
import type { KeySlot } from './crypto/key-slot.ts';
import type { MasterKey } from './crypto/master-key.ts';

export interface KeyInfo {
  readonly id: Id;
  readonly created: string;
  readonly hostname: string;
  readonly username: string;
  readonly kdf: string;
}

async function readSlot(storage: StorageReader, id: Id): Promise<KeySlot> {
  const raw = await storage.get({ type: 'keys', name: id });
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (cause) {
    throw new HoldfastError('REPO_CORRUPT', `key slot keys/${id} in ${storage.location} is not valid JSON`, { cause });
  }
  return parseKeySlot(json, `keys/${id} in ${storage.location}`);
}

async function slotIds(storage: StorageReader): Promise<Id[]> {
  const ids: Id[] = [];
  for await (const info of storage.list('keys')) ids.push(info.name);
  return ids;
}

/**
 * Yields the master key of every slot the password opens. A slot that cannot be parsed
 * is skipped (another may still open); the caller decides which key is the real one
 * (an interrupted `init` can leave a slot wrapping a key of a config never written).
 */
export async function* keysForPassword(storage: StorageReader, password: string): AsyncGenerator<{ key: MasterKey; keyId: Id }> {
  const ids = await slotIds(storage);
  if (ids.length === 0) throw new HoldfastError('REPO_CORRUPT', `repository at ${storage.location} has no key slots`);
  let unreadable: unknown = undefined;
  for (const id of ids) {
    let key: MasterKey;
    try {
      key = await openKeySlot(await readSlot(storage, id), password);
    } catch (err) {
      if (!isHoldfastError(err, 'WRONG_PASSWORD')) unreadable ??= err;
      continue;
    }
    yield { key, keyId: id };
  }
  if (unreadable !== undefined) throw unreadable;
  throw new HoldfastError('WRONG_PASSWORD', `wrong password for the repository at ${storage.location}: none of its ${ids.length} key slot(s) opens with it`);
}

export async function listKeys(storage: StorageReader): Promise<KeyInfo[]> {
  const out: KeyInfo[] = [];
  for (const id of await slotIds(storage)) {
    const slot = await readSlot(storage, id);
    out.push({ id, created: slot.created, hostname: slot.hostname, username: slot.username, kdf: slot.kdf.algorithm });
  }
  return out.sort((a, b) => a.created.localeCompare(b.created));
}

export interface AddKeyOptions {
  readonly now: Date;
  readonly username: string;
  readonly cost?: 'default' | 'test';
}

export async function addKey(storage: Storage, master: MasterKey, password: string, opts: AddKeyOptions): Promise<Id> {
  const slot = await createKeySlot(password, master, { cost: opts.cost ?? 'default', hostname: hostname(), username: opts.username, now: opts.now });
  const id = randomId();
  await storage.put({ type: 'keys', name: id }, Buffer.from(JSON.stringify(slot, null, 2)));
  return id;
}

/** Removes a key slot; refuses to remove the last one or the one in use. */
export async function removeKey(storage: Storage, id: Id, inUse: Id): Promise<void> {
  const ids = await slotIds(storage);
  const match = ids.filter((k) => k.startsWith(id));
  if (match.length !== 1) {
    throw new HoldfastError('KEY_NOT_FOUND', `key ${id} ${match.length === 0 ? 'does not exist' : 'is ambiguous'} in ${storage.location}`);
  }
  const target = match[0] as Id;
  if (ids.length === 1) throw new HoldfastError('LAST_KEY', `key ${target.slice(0, 8)} is the last key of ${storage.location}; add another first`);
  if (target === inUse) throw new HoldfastError('USAGE', `key ${target.slice(0, 8)} is the one this session opened the repository with; open with another key to remove it`);
  await storage.delete({ type: 'keys', name: target });
}

/** Replaces the slot in use with one for a new password (add first, then remove). */
export async function changePassword(storage: Storage, master: MasterKey, inUse: Id, password: string, opts: AddKeyOptions): Promise<Id> {
  const id = await addKey(storage, master, password, opts);
  await storage.delete({ type: 'keys', name: inUse });
  return id;
}
