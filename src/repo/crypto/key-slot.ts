/**
 * Key slots: the master key wrapped under a password. A repository has one or more
 * (`keys/<id>`); any of them opens it, and adding or removing one never touches data.
 *
 * A slot is plain JSON, since it must be readable before any key is known:
 *
 *   { "version": 1,
 *     "created": ISO-8601 time, "hostname": …, "username": …   (informational only)
 *     "kdf": { "algorithm": "argon2id", "memoryKiB", "passes", "parallelism", "salt" }
 *          | { "algorithm": "scrypt", "N", "r", "p", "salt" },
 *     "wrapped": base64(seal(KEK, masterKeyBytes, aad = canonical kdf bytes)) }
 *
 * - KEK (key-encryption key) = the 32-byte output of the KDF over the password
 *   (Unicode NFC-normalised, then UTF-8) with the slot's parameters and salt
 *   (16 random bytes, base64).
 * - masterKeyBytes: see master-key.ts; seal: AES-256-GCM, see aead.ts.
 * - canonical kdf bytes: UTF-8 of JSON.stringify of the `kdf` object with its keys in
 *   the order shown above and no whitespace (see `kdfAad`).
 *
 * A wrong password and an altered slot are indistinguishable (both fail the GCM tag),
 * so both report WRONG_PASSWORD. Lowering the cost parameters cannot help an attacker:
 * they change the KEK, so the slot no longer opens. The upper bounds checked by
 * `parseKeySlot` only stop a hostile slot from making us allocate absurd memory.
 */
import { argon2, randomBytes, scrypt } from 'node:crypto';
import { HoldfastError, isHoldfastError } from '../../core/errors.ts';
import { ShapeError, fields, integer, isRecord, oneOf, readShape, text } from '../../core/json-shape.ts';
import { KEY_BYTES, SEAL_OVERHEAD, open, seal } from './aead.ts';
import { masterKeyFromBytes, masterKeyToBytes, type MasterKey } from './master-key.ts';

export const KEY_SLOT_VERSION = 1;
const SALT_BYTES = 16;
const MAX_KDF_MEMORY_BYTES = 1024 ** 3;

export interface Argon2idParams {
  readonly algorithm: 'argon2id';
  readonly memoryKiB: number;
  readonly passes: number;
  readonly parallelism: number;
  readonly salt: string;
}

export interface ScryptParams {
  readonly algorithm: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
}

export type KdfParams = Argon2idParams | ScryptParams;
export type KdfAlgorithm = KdfParams['algorithm'];
export type KdfCost = 'default' | 'test';

export interface KeySlot {
  readonly version: typeof KEY_SLOT_VERSION;
  readonly created: string;
  readonly hostname: string;
  readonly username: string;
  readonly kdf: KdfParams;
  readonly wrapped: string;
}

export interface CreateKeySlotOptions {
  readonly kdf?: KdfAlgorithm;
  readonly cost?: KdfCost;
  readonly hostname: string;
  readonly username: string;
  readonly now: Date;
}

type Costs = { readonly [A in KdfAlgorithm]: Omit<Extract<KdfParams, { algorithm: A }>, 'salt'> };

/**
 * 'default': argon2id over 16 MiB with 32 passes: the same memory × passes as 64 MiB × 8
 * (an attacker's area-time cost per guess, 512 MiB·passes) and the same memory as the
 * scrypt restic writes (N = 2^14, r = 8: 16 MiB), paid by every command while it opens a
 * repository, on top of the runtime (ADRs 0026, 0039). Two lanes: the derivation takes
 * about as long as 32 MiB × 16 did, and no longer than one lane would in a pod limited
 * to one CPU; lanes do not lower an attacker's cost, who computes them side by side
 * anyway (ADR 0028). Every command waits for this derivation before it can read anything.
 * 'test': the smallest legal costs, for unit tests only.
 */
export const KDF_COSTS: Readonly<Record<KdfCost, Costs>> = {
  default: {
    argon2id: { algorithm: 'argon2id', memoryKiB: 16 * 1024, passes: 32, parallelism: 2 },
    scrypt: { algorithm: 'scrypt', N: 2 ** 17, r: 8, p: 1 },
  },
  test: {
    argon2id: { algorithm: 'argon2id', memoryKiB: 64, passes: 1, parallelism: 1 },
    scrypt: { algorithm: 'scrypt', N: 1024, r: 8, p: 1 },
  },
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z$/;

function base64Bytes(value: unknown, path: string, min: number, max: number): string {
  const s = text(value, path, { pattern: BASE64, what: 'base64' });
  const n = Buffer.from(s, 'base64').length;
  if (n < min || n > max) throw new ShapeError(`${path}: must decode to ${min}-${max} bytes, not ${n}`);
  return s;
}

function readArgon2id(f: Record<string, unknown>): Argon2idParams {
  const k = {
    algorithm: 'argon2id' as const,
    memoryKiB: integer(f.memoryKiB, 'kdf.memoryKiB', { min: 8, max: MAX_KDF_MEMORY_BYTES / 1024 }),
    passes: integer(f.passes, 'kdf.passes', { min: 1, max: 64 }),
    parallelism: integer(f.parallelism, 'kdf.parallelism', { min: 1, max: 16 }),
    salt: base64Bytes(f.salt, 'kdf.salt', SALT_BYTES, 64),
  };
  if (k.memoryKiB < 8 * k.parallelism) throw new ShapeError('kdf: memoryKiB must be at least 8 × parallelism');
  return k;
}

function readScrypt(f: Record<string, unknown>): ScryptParams {
  const k = {
    algorithm: 'scrypt' as const,
    N: integer(f.N, 'kdf.N', { min: 2 }),
    r: integer(f.r, 'kdf.r', { min: 1, max: 32 }),
    p: integer(f.p, 'kdf.p', { min: 1, max: 16 }),
    salt: base64Bytes(f.salt, 'kdf.salt', SALT_BYTES, 64),
  };
  if ((k.N & (k.N - 1)) !== 0) throw new ShapeError('kdf.N: must be a power of two');
  if (scryptMemory(k) > MAX_KDF_MEMORY_BYTES) throw new ShapeError('kdf: N × r needs too much memory');
  return k;
}

function readKdf(value: unknown): KdfParams {
  const algorithm = oneOf(isRecord(value) ? value.algorithm : undefined, 'kdf.algorithm', ['argon2id', 'scrypt'] as const);
  if (algorithm === 'argon2id') return readArgon2id(fields(value, 'kdf', ['algorithm', 'memoryKiB', 'passes', 'parallelism', 'salt']));
  return readScrypt(fields(value, 'kdf', ['algorithm', 'N', 'r', 'p', 'salt']));
}

function readKeySlot(json: unknown): KeySlot {
  const f = fields(json, 'slot', ['version', 'created', 'hostname', 'username', 'kdf', 'wrapped']);
  const created = text(f.created, 'created', { pattern: ISO_TIME, what: 'an ISO 8601 UTC time' });
  if (Number.isNaN(Date.parse(created))) throw new ShapeError(`created: not a real time: ${created}`);
  return {
    version: oneOf(f.version, 'version', [KEY_SLOT_VERSION] as const),
    created,
    hostname: text(f.hostname, 'hostname', { max: 255 }),
    username: text(f.username, 'username', { max: 255 }),
    kdf: readKdf(f.kdf),
    wrapped: base64Bytes(f.wrapped, 'wrapped', SEAL_OVERHEAD + 1, 4096),
  };
}

/** Validates untrusted JSON as a key slot; anything unexpected is REPO_CORRUPT naming `where`. */
export function parseKeySlot(json: unknown, where: string): KeySlot {
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== KEY_SLOT_VERSION) {
    throw new HoldfastError(
      'REPO_VERSION',
      `${where}: key slot version ${version} is not supported (this build reads version ${KEY_SLOT_VERSION})`,
    );
  }
  return readShape(`${where}: invalid key slot`, () => readKeySlot(json));
}

export async function createKeySlot(password: string, master: MasterKey, opts: CreateKeySlotOptions): Promise<KeySlot> {
  if (password.length === 0) throw new HoldfastError('USAGE', 'the password must not be empty');
  const cost = KDF_COSTS[opts.cost ?? 'default'][opts.kdf ?? 'argon2id'];
  const kdf: KdfParams = { ...cost, salt: randomBytes(SALT_BYTES).toString('base64') };
  const kek = await deriveKek(password, kdf);
  const plain = masterKeyToBytes(master);
  const wrapped = seal(kek, plain, kdfAad(kdf));
  kek.fill(0);
  plain.fill(0);
  return {
    version: KEY_SLOT_VERSION,
    created: opts.now.toISOString(),
    hostname: opts.hostname,
    username: opts.username,
    kdf,
    wrapped: wrapped.toString('base64'),
  };
}

/** Unwraps the master key; WRONG_PASSWORD when the password (or the slot) does not match. */
export async function openKeySlot(slot: KeySlot, password: string, where = 'key slot'): Promise<MasterKey> {
  const checked = parseKeySlot(slot, where);
  const kek = await deriveKek(password, checked.kdf);
  let plain: Buffer;
  try {
    plain = open(kek, Buffer.from(checked.wrapped, 'base64'), kdfAad(checked.kdf), where);
  } catch (err) {
    if (!isHoldfastError(err, 'AUTH_FAILED')) throw err;
    throw new HoldfastError('WRONG_PASSWORD', `${where}: wrong password (or the key slot was altered)`, { cause: err });
  } finally {
    kek.fill(0);
  }
  const master = masterKeyFromBytes(plain, where);
  plain.fill(0);
  return master;
}

/** The canonical bytes of the KDF parameters, bound to the wrapped key as associated data. */
export function kdfAad(kdf: KdfParams): Buffer {
  const ordered =
    kdf.algorithm === 'argon2id'
      ? { algorithm: kdf.algorithm, memoryKiB: kdf.memoryKiB, passes: kdf.passes, parallelism: kdf.parallelism, salt: kdf.salt }
      : { algorithm: kdf.algorithm, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

function scryptMemory(k: { N: number; r: number; p: number }): number {
  return 128 * k.r * (k.N + k.p + 2);
}

/** Runs the KDF on the libuv thread pool (never blocking the event loop). */
function deriveKek(password: string, kdf: KdfParams): Promise<Buffer> {
  const message = Buffer.from(password.normalize('NFC'), 'utf8');
  const salt = Buffer.from(kdf.salt, 'base64');
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, key: Buffer): void => {
      message.fill(0);
      if (err) reject(new HoldfastError('INTERNAL', `key derivation with ${kdf.algorithm} failed`, { cause: err }));
      else resolve(key);
    };
    if (kdf.algorithm === 'argon2id') {
      const { memoryKiB: memory, passes, parallelism } = kdf;
      argon2('argon2id', { message, nonce: salt, memory, passes, parallelism, tagLength: KEY_BYTES }, done);
    } else {
      const { N, r, p } = kdf;
      scrypt(message, salt, KEY_BYTES, { N, r, p, maxmem: scryptMemory(kdf) + 65536 }, done);
    }
  });
}
