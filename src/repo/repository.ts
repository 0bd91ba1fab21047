/**
 * An open repository: its storage, config, master key and the merged index. Reading
 * blobs and sealed objects lives here; writing packs goes through `PackSink`, and the
 * maintenance operations (check, forget, prune) work on top of this class.
 */
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { releaseBuffer } from '../core/buffers.ts';
import { HoldfastError, isHoldfastError } from '../core/errors.ts';
import { randomId } from '../core/ids.ts';
import type { Id } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import { silentLogger } from '../core/logger.ts';
import type { ObjectHandle, ObjectType, Storage } from '../backend/storage.ts';
import { CachedStorage } from '../backend/cache/cached-storage.ts';
import { ObjectCache } from '../backend/cache/object-cache.ts';
import type { BlobLocation, BlobType } from './blob.ts';
import { DEFAULT_COMPRESSION } from './compression.ts';
import { BlobOpener } from './blob-opener.ts';
import type { CompressionSettings } from './compression.ts';
import { DEFAULT_PARAMS, FINE_PARAMS } from './chunker/fastcdc.ts';
import { BlobHasher, contentHash } from './crypto/keyed-hash.ts';
import { generateMasterKey } from './crypto/master-key.ts';
import type { MasterKey } from './crypto/master-key.ts';
import { createKeySlot } from './crypto/key-slot.ts';
import { decodeIndex, scanIndex } from './index/index-format.ts';
import type { IndexEntryVisitor } from './index/index-format.ts';
import { MasterIndex } from './index/master-index.ts';
import { keysForPassword } from './keys.ts';
import { DEFAULT_PACK_SIZE, REPO_VERSION, parseRepoConfig } from './repo-config.ts';
import type { RepoConfig } from './repo-config.ts';
import { openObject, sealObject } from './sealed-object.ts';

export type KdfCost = 'default' | 'test';

export interface InitOptions {
  readonly password: string;
  readonly now: Date;
  readonly kdfCost?: KdfCost;
  readonly compression?: CompressionSettings;
  readonly packSize?: number;
  readonly logger?: Logger;
  /**
   * Share another repository's id key and chunker (seed and sizes), with a fresh
   * encryption key: blobs then have the same ids in both, so `copy` transfers only what
   * the target lacks and later backups into either deduplicate against copied data.
   */
  readonly copyParamsFrom?: Repository;
}

export interface OpenOptions {
  readonly password: string;
  readonly logger?: Logger;
  /**
   * Where to keep local copies of index files, snapshots and tree packs: the repository's
   * own folder `<cacheDir>/<repository id>` is used. No cache without it.
   */
  readonly cacheDir?: string | undefined;
}

interface RepositoryParts {
  readonly logger: Logger;
  readonly cacheDir?: string | undefined;
}

export class Repository {
  /** Where objects are read and written: the storage, behind the local cache when there is one. */
  readonly storage: Storage;
  /** The storage itself, never the cache: for reads that must see the stored bytes. */
  readonly backend: Storage;
  readonly cache: CachedStorage | undefined;
  readonly config: RepoConfig;
  readonly key: MasterKey;
  readonly keyId: Id;
  readonly index = new MasterIndex();
  readonly hasher: BlobHasher;
  readonly opener: BlobOpener;
  readonly logger: Logger;

  private constructor(storage: Storage, config: RepoConfig, key: MasterKey, keyId: Id, parts: RepositoryParts) {
    this.backend = storage;
    this.cache = parts.cacheDir === undefined ? undefined : new CachedStorage(storage, new ObjectCache(join(parts.cacheDir, config.id)), (h) => this.#cacheable(h));
    this.storage = this.cache ?? storage;
    this.config = config;
    this.key = key;
    this.keyId = keyId;
    this.hasher = new BlobHasher(key.idKey);
    this.opener = new BlobOpener(key);
    this.logger = parts.logger;
  }

  /** Index files and snapshots, and packs that hold only trees (the walks read them again and again). */
  #cacheable(h: ObjectHandle): boolean {
    return h.type === 'index' || h.type === 'snapshots' || (h.type === 'data' && this.index.isTreePack(h.name));
  }

  static async init(storage: Storage, opts: InitOptions): Promise<Repository> {
    if (await storage.exists()) {
      throw new HoldfastError('REPO_EXISTS', `a repository already exists at ${storage.location}`);
    }
    await storage.create();
    const fresh = generateMasterKey();
    const from = opts.copyParamsFrom;
    const key = from ? { ...fresh, idKey: Buffer.from(from.key.idKey), chunkerSeed: Buffer.from(from.key.chunkerSeed) } : fresh;
    const config: RepoConfig = {
      version: REPO_VERSION,
      id: randomId(),
      created: opts.now.toISOString(),
      chunker: from ? structuredClone(from.config.chunker) : { default: { ...DEFAULT_PARAMS }, fine: { ...FINE_PARAMS } },
      compression: opts.compression ?? DEFAULT_COMPRESSION,
      packSize: opts.packSize ?? DEFAULT_PACK_SIZE,
    };
    const slot = await createKeySlot(opts.password, key, {
      cost: opts.kdfCost ?? 'default',
      hostname: hostname(),
      username: safeUsername(),
      now: opts.now,
    });
    const keyId = randomId();
    await storage.put({ type: 'keys', name: keyId }, Buffer.from(JSON.stringify(slot, null, 2)));
    await storage.put({ type: 'config', name: 'config' }, sealObject(key.encKey, 'config', Buffer.from(JSON.stringify(config))));
    return new Repository(storage, config, key, keyId, { logger: opts.logger ?? silentLogger });
  }

  static async open(storage: Storage, opts: OpenOptions): Promise<Repository> {
    if (!(await storage.exists())) {
      throw new HoldfastError('REPO_NOT_FOUND', `no repository at ${storage.location} (run 'holdfast init' to create one)`);
    }
    const sealed = await storage.get({ type: 'config', name: 'config' });
    const where = `config of ${storage.location}`;
    let mismatch: unknown = undefined;
    const candidates = keysForPassword(storage, opts.password);
    for (;;) {
      let next: IteratorResult<{ key: MasterKey; keyId: Id }>;
      try {
        next = await candidates.next();
      } catch (err) {
        throw mismatch ?? err;
      }
      if (next.done) break;
      const { key, keyId } = next.value;
      let plain: Buffer;
      try {
        plain = openObject(key.encKey, 'config', sealed, where);
      } catch (err) {
        if (!isHoldfastError(err, 'AUTH_FAILED')) throw err;
        mismatch ??= err;
        continue;
      }
      return new Repository(storage, parseRepoConfig(parseJson(plain, where), where), key, keyId, { logger: opts.logger ?? silentLogger, cacheDir: opts.cacheDir });
    }
    throw mismatch ?? new HoldfastError('INTERNAL', `no key for ${where}`);
  }

  /** Reads every index file into the master index. */
  async loadIndex(): Promise<void> {
    for await (const info of this.storage.list('index')) await this.loadIndexFile(info.name);
  }

  /**
   * Reads one index file into the master index, straight from its bytes; `also` visits
   * each entry too (check's by-pack table). A damaged file adds nothing and throws.
   */
  async loadIndexFile(name: Id, also?: IndexEntryVisitor): Promise<void> {
    const plain = await this.loadObject('index', name);
    try {
      this.index.addScanned((visit, reserve) => scanIndex(plain, name, also ? bothVisit(visit, also) : visit, reserve));
    } finally {
      releaseBuffer(plain);
    }
  }

  async readIndexFile(name: Id): Promise<BlobLocation[]> {
    const plain = await this.loadObject('index', name);
    return decodeIndex(plain, name);
  }

  /** Seals and stores a content-addressed object; returns its name. */
  async saveObject(type: 'index' | 'snapshots', plain: Uint8Array): Promise<Id> {
    const sealed = sealObject(this.key.encKey, type, plain);
    const name = contentHash(sealed).toString('hex');
    await this.storage.put({ type, name }, sealed);
    return name;
  }

  async loadObject(type: ObjectType, name: string): Promise<Buffer> {
    const sealed = await this.storage.get({ type, name });
    return openObject(this.key.encKey, type, sealed, `${type}/${name}`);
  }

  async loadBlob(id: Id, type?: BlobType): Promise<Buffer> {
    const loc = this.index.get(id);
    if (!loc || (type && loc.type !== type)) {
      throw new HoldfastError('REPO_CORRUPT', `${type ?? 'blob'} ${id} is not in any index of ${this.storage.location}`);
    }
    const sealed = await this.storage.get({ type: 'data', name: loc.pack }, { offset: loc.offset, length: loc.length });
    return this.decodeBlob(loc, sealed);
  }

  /** Decrypts, decompresses and authenticates one blob read from its pack. */
  decodeBlob(loc: BlobLocation, sealed: Uint8Array): Buffer {
    return this.opener.open(loc, sealed);
  }
}

export function parseJson(plain: Buffer, where: string): unknown {
  try {
    return JSON.parse(plain.toString('utf8'));
  } catch (cause) {
    throw new HoldfastError('REPO_CORRUPT', `${where}: not valid JSON`, { cause });
  }
}

export function safeUsername(): string {
  try {
    return userInfo().username;
  } catch (err) {
    if (isHoldfastError(err)) throw err;
    return 'unknown';
  }
}

function bothVisit(first: IndexEntryVisitor, second: IndexEntryVisitor): IndexEntryVisitor {
  return (pack, buf, at) => {
    first(pack, buf, at);
    second(pack, buf, at);
  };
}
