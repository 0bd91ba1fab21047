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
import { z } from 'zod';
import { HoldfastError, isHoldfastError } from '../../core/errors.ts';
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
 * 'default': argon2id over 32 MiB with 16 passes, the same memory × passes as 64 MiB × 8
 * (an attacker's area-time cost) with half the peak memory every command pays while it
 * opens a repository (ADR 0026). Two lanes: a derivation takes ~0.19 s on the reference
 * machine (2 vCPU, 2026) instead of ~0.35 s in one, and no longer than one lane would in
 * a pod limited to one CPU; lanes do not lower an attacker's cost, who computes them
 * side by side anyway (ADR 0028). Every command waits for this derivation before it can
 * read anything.
 * 'test': the smallest legal costs, for unit tests only.
 */
export const KDF_COSTS: Readonly<Record<KdfCost, Costs>> = {
  default: {
    argon2id: { algorithm: 'argon2id', memoryKiB: 32 * 1024, passes: 16, parallelism: 2 },
    scrypt: { algorithm: 'scrypt', N: 2 ** 17, r: 8, p: 1 },
  },
  test: {
    argon2id: { algorithm: 'argon2id', memoryKiB: 64, passes: 1, parallelism: 1 },
    scrypt: { algorithm: 'scrypt', N: 1024, r: 8, p: 1 },
  },
};

const base64Bytes = (min: number, max: number) =>
  z.base64().refine((s) => {
    const n = Buffer.from(s, 'base64').length;
    return n >= min && n <= max;
  }, `must decode to ${min}-${max} bytes`);

const argon2idSchema = z
  .strictObject({
    algorithm: z.literal('argon2id'),
    memoryKiB: z.int().min(8).max(MAX_KDF_MEMORY_BYTES / 1024),
    passes: z.int().min(1).max(64),
    parallelism: z.int().min(1).max(16),
    salt: base64Bytes(SALT_BYTES, 64),
  })
  .refine((k) => k.memoryKiB >= 8 * k.parallelism, 'memoryKiB must be at least 8 × parallelism');

const scryptSchema = z
  .strictObject({
    algorithm: z.literal('scrypt'),
    N: z.int().min(2).refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
    r: z.int().min(1).max(32),
    p: z.int().min(1).max(16),
    salt: base64Bytes(SALT_BYTES, 64),
  })
  .refine((k) => scryptMemory(k) <= MAX_KDF_MEMORY_BYTES, 'N × r needs too much memory');

const keySlotSchema = z.strictObject({
  version: z.literal(KEY_SLOT_VERSION),
  created: z.iso.datetime(),
  hostname: z.string().max(255),
  username: z.string().max(255),
  kdf: z.discriminatedUnion('algorithm', [argon2idSchema, scryptSchema]),
  wrapped: base64Bytes(SEAL_OVERHEAD + 1, 4096),
});

/** Validates untrusted JSON as a key slot; anything unexpected is REPO_CORRUPT naming `where`. */
export function parseKeySlot(json: unknown, where: string): KeySlot {
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== KEY_SLOT_VERSION) {
    throw new HoldfastError(
      'REPO_VERSION',
      `${where}: key slot version ${version} is not supported (this build reads version ${KEY_SLOT_VERSION})`,
    );
  }
  const parsed = keySlotSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'slot'}: ${i.message}`);
    throw new HoldfastError('REPO_CORRUPT', `${where}: invalid key slot (${problems.join('; ')})`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
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
