/**
 * S3-compatible object storage. Layout under the location's prefix:
 *
 *     <prefix>/config   <prefix>/keys/<name>   <prefix>/data/<name>   <prefix>/index/<name>
 *     <prefix>/snapshots/<name>   <prefix>/locks/<name>
 *
 * A PUT on S3 is atomic (readers see the old object or the new one), which is the whole
 * of the storage contract's atomicity; large objects go up as multipart uploads.
 *
 * Object Lock (immutable repositories): when the bucket has object lock enabled, its
 * default retention rule locks every new object version for N days on the server, so no
 * client — this one included — can forget to lock. `stat` reports `retainUntil`; `delete`
 * then removes every version of the object (the only way to free its bytes) and fails with
 * OBJECT_LOCKED while any version is retained. Lock files are the exception: deleting one
 * only hides it behind a delete marker, since a backup must be able to release its lock.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, GetObjectLockConfigurationCommand, HeadBucketCommand,
  HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, PutObjectLockConfigurationCommand, S3Client,
  paginateListObjectsV2, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { HoldfastError } from '../../core/errors.ts';
import { checkHandle, checkRange } from '../object-handle.ts';
import { describeHandle, type ByteRange, type FileSource, type ObjectHandle, type ObjectInfo, type ObjectType, type Storage } from '../storage.ts';
import { localTempPath, removeStaleLocalTempFiles } from '../local-temp.ts';
import { errorName, isNotFound, isNoSuchBucket, statusOf, toS3Error } from './s3-errors.ts';
import { describeS3Location, type S3Location } from './s3-location.ts';
import { readBody, streamBody } from './s3-body.ts';

const MiB = 1024 * 1024;

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface ObjectLockSettings {
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly days: number;
}

export interface S3Options {
  /** Default `us-east-1`. */
  readonly region?: string | undefined;
  /** Path-style URLs (`host/bucket/key`); default true when an endpoint is given. */
  readonly pathStyle?: boolean | undefined;
  /** PEM of the CA(s) to trust for a TLS endpoint with a private CA. */
  readonly caBundle?: string | undefined;
  /** Explicit keys; otherwise the SDK's default chain (env, shared files, IMDS …). */
  readonly credentials?: S3Credentials | undefined;
  /** Parallel connections; default 16. */
  readonly connections?: number | undefined;
  /** Objects larger than this go up as multipart uploads; default 64 MiB. */
  readonly multipartThreshold?: number | undefined;
  /** Part size of multipart uploads; default 16 MiB (S3's minimum is 5 MiB). */
  readonly partSize?: number | undefined;
  /** What `create()` sets up on the bucket: object lock with a default retention. */
  readonly objectLock?: ObjectLockSettings | undefined;
  readonly requestTimeoutMs?: number | undefined;
}

export class S3Storage implements Storage {
  readonly location: string;
  readonly concurrency: number;
  /** Files to upload live in the local temporary folder and stream up from there. */
  readonly files: FileSource = { tempPath: localTempPath, putFile: (handle, path, size) => this.#putFile(handle, path, size) };
  readonly #loc: S3Location;
  readonly #client: S3Client;
  readonly #options: S3Options;
  #lockEnabled: Promise<boolean> | undefined;

  constructor(loc: S3Location, options: S3Options = {}) {
    this.#loc = loc;
    this.#options = options;
    this.location = describeS3Location(loc);
    this.concurrency = options.connections ?? 16;
    this.#client = new S3Client(clientConfig(loc, options));
  }

  async create(): Promise<void> {
    const exists = await this.#call('check bucket', () => this.#bucketExists());
    if (!exists) await this.#call('create bucket', () => this.#createBucket());
    const lock = this.#options.objectLock;
    if (lock !== undefined) await this.#configureObjectLock(lock);
  }

  /** False when the bucket itself is missing too: `init` creates it. */
  async exists(): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key({ type: 'config', name: '' }) }));
      return true;
    } catch (err) {
      if (isNotFound(err) || isNoSuchBucket(err)) return false;
      throw toS3Error(err, this.#ctx('read config'));
    }
  }

  async get(handle: ObjectHandle, range?: ByteRange): Promise<Buffer> {
    checkHandle(handle);
    checkRange(handle, range);
    if (range?.length === 0) {
      await this.stat(handle);
      return Buffer.alloc(0);
    }
    const op = `get ${describeHandle(handle)}`;
    try {
      const res = await this.#client.send(new GetObjectCommand({
        Bucket: this.#loc.bucket,
        Key: this.#key(handle),
        ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}),
      }));
      return await readBody(res.Body, res.ContentLength, () => this.#ctx(op));
    } catch (err) {
      if (range !== undefined && (statusOf(err) === 416 || errorName(err) === 'InvalidRange')) return Buffer.alloc(0);
      throw this.#missingOr(err, handle, op);
    }
  }

  async *getStream(handle: ObjectHandle): AsyncIterable<Uint8Array> {
    checkHandle(handle);
    const op = `get ${describeHandle(handle)}`;
    let res;
    try {
      res = await this.#client.send(new GetObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key(handle) }));
    } catch (err) {
      throw this.#missingOr(err, handle, op);
    }
    yield* streamBody(res.Body, res.ContentLength, () => this.#ctx(op));
  }

  async stat(handle: ObjectHandle): Promise<ObjectInfo> {
    checkHandle(handle);
    const op = `stat ${describeHandle(handle)}`;
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key(handle) }));
      const info = { name: nameOf(handle), size: res.ContentLength ?? 0 };
      return res.ObjectLockRetainUntilDate ? { ...info, retainUntil: res.ObjectLockRetainUntilDate } : info;
    } catch (err) {
      throw this.#missingOr(err, handle, op);
    }
  }

  async *list(type: ObjectType): AsyncIterable<ObjectInfo> {
    if (type === 'config') {
      yield* this.#listConfig();
      return;
    }
    const prefix = `${this.#base()}${type}/`;
    const pages = paginateListObjectsV2({ client: this.#client, pageSize: 1000 }, { Bucket: this.#loc.bucket, Prefix: prefix });
    try {
      for await (const page of pages) {
        for (const obj of page.Contents ?? []) {
          const name = obj.Key?.slice(prefix.length) ?? '';
          if (name !== '' && !name.includes('/')) yield { name, size: obj.Size ?? 0 };
        }
      }
    } catch (err) {
      throw toS3Error(err, this.#ctx(`list ${type}`));
    }
  }

  async put(handle: ObjectHandle, data: Uint8Array): Promise<void> {
    checkHandle(handle);
    const op = `put ${describeHandle(handle)}`;
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const key = this.#key(handle);
    const locked = await this.#isLockEnabled();
    if (!locked && body.byteLength > (this.#options.multipartThreshold ?? 64 * MiB)) {
      await this.#call(op, () => this.#multipart(key, body));
      return;
    }
    // A bucket with a default retention needs Content-MD5 (or a checksum) on every PUT.
    const md5 = locked ? createHash('md5').update(body).digest('base64') : undefined;
    await this.#call(op, () => this.#client.send(new PutObjectCommand({
      Bucket: this.#loc.bucket, Key: key, Body: body, ContentLength: body.byteLength, ...(md5 ? { ContentMD5: md5 } : {}),
    })));
  }

  /** As `put`, streaming the body from the file (each try opens it again). */
  async #putFile(handle: ObjectHandle, path: string, size: number): Promise<void> {
    checkHandle(handle);
    const op = `put ${describeHandle(handle)}`;
    const key = this.#key(handle);
    const locked = await this.#isLockEnabled();
    // Opened before the request starts, so a missing file fails here, naming the object.
    const body = async (): Promise<Readable> => (await open(path, 'r')).createReadStream();
    if (!locked && size > (this.#options.multipartThreshold ?? 64 * MiB)) {
      await this.#call(op, async () => this.#multipart(key, await body()));
      return;
    }
    const md5 = locked ? await this.#call(op, async () => fileMd5(await body())) : undefined;
    await this.#call(op, async () => this.#client.send(new PutObjectCommand({
      Bucket: this.#loc.bucket, Key: key, Body: await body(), ContentLength: size, ...(md5 ? { ContentMD5: md5 } : {}),
    })));
  }

  async delete(handle: ObjectHandle): Promise<void> {
    checkHandle(handle);
    const op = `delete ${describeHandle(handle)}`;
    const key = this.#key(handle);
    if (handle.type !== 'locks' && (await this.#isLockEnabled())) {
      await this.#deleteAllVersions(handle, key, op);
      return;
    }
    await this.#call(op, () => this.#client.send(new DeleteObjectCommand({ Bucket: this.#loc.bucket, Key: key })));
  }

  /** The bucket holds no temporary objects (a PUT is atomic); the local files to upload are swept. */
  removeStaleTempFiles(modifiedBefore: Date): Promise<number> {
    return removeStaleLocalTempFiles(modifiedBefore);
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #multipart(key: string, body: Buffer | Readable): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#loc.bucket, Key: key, Body: body },
      partSize: this.#options.partSize ?? 16 * MiB,
      queueSize: 4,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async #deleteAllVersions(handle: ObjectHandle, key: string, op: string): Promise<void> {
    const versions = await this.#call(`list versions of ${describeHandle(handle)}`, async () => {
      const res = await this.#client.send(new ListObjectVersionsCommand({ Bucket: this.#loc.bucket, Prefix: key }));
      return [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])].filter((v) => v.Key === key).map((v) => v.VersionId);
    });
    for (const versionId of versions) {
      try {
        await this.#client.send(new DeleteObjectCommand({ Bucket: this.#loc.bucket, Key: key, VersionId: versionId }));
      } catch (err) {
        // AWS answers 403 AccessDenied for a retained version, MinIO 400 InvalidRequest.
        const status = statusOf(err) ?? 0;
        if (status !== 403 && status !== 400) throw toS3Error(err, this.#ctx(op));
        throw await this.#lockedError(handle, key, versionId, err);
      }
    }
  }

  async #lockedError(handle: ObjectHandle, key: string, versionId: string | undefined, cause: unknown): Promise<HoldfastError> {
    const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#loc.bucket, Key: key, VersionId: versionId })).catch(() => undefined);
    const until = head?.ObjectLockRetainUntilDate;
    if (until === undefined || until.getTime() <= Date.now()) return toS3Error(cause, this.#ctx(`delete ${describeHandle(handle)}`));
    return new HoldfastError('OBJECT_LOCKED', `cannot delete ${describeHandle(handle)} in ${this.location}: object lock retains it until ${until.toISOString()}`, { cause });
  }

  async *#listConfig(): AsyncIterable<ObjectInfo> {
    try {
      yield await this.stat({ type: 'config', name: '' });
    } catch (err) {
      if (!(err instanceof HoldfastError && err.code === 'OBJECT_NOT_FOUND')) throw err;
    }
  }

  async #bucketExists(): Promise<boolean> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#loc.bucket }));
      return true;
    } catch (err) {
      if (statusOf(err) === 404 || isNoSuchBucket(err) || errorName(err) === 'NotFound') return false;
      throw err;
    }
  }

  async #createBucket(): Promise<void> {
    const lock = this.#options.objectLock !== undefined;
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#loc.bucket, ...(lock ? { ObjectLockEnabledForBucket: true } : {}) }));
    } catch (err) {
      if (errorName(err) !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }

  async #configureObjectLock(lock: ObjectLockSettings): Promise<void> {
    this.#lockEnabled = undefined;
    if (!(await this.#isLockEnabled())) {
      throw new HoldfastError('CONFIG_INVALID', `the bucket '${this.#loc.bucket}' does not have object lock enabled (${this.location}); object lock can only be turned on when a bucket is created`);
    }
    await this.#call('set the default object retention', () => this.#client.send(new PutObjectLockConfigurationCommand({
      Bucket: this.#loc.bucket,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: lock.mode, Days: lock.days } } },
    })));
  }

  /** Whether the bucket has object lock; asked once. Unknown (e.g. not allowed to ask) counts as no. */
  #isLockEnabled(): Promise<boolean> {
    this.#lockEnabled ??= this.#client.send(new GetObjectLockConfigurationCommand({ Bucket: this.#loc.bucket })).then(
      (res) => res.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled',
      () => false,
    );
    return this.#lockEnabled;
  }

  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toS3Error(err, this.#ctx(operation));
    }
  }

  #missingOr(err: unknown, handle: ObjectHandle, op: string): HoldfastError {
    if (isNotFound(err)) return new HoldfastError('OBJECT_NOT_FOUND', `${describeHandle(handle)} does not exist in ${this.location}`, { cause: err });
    return toS3Error(err, this.#ctx(op));
  }

  #ctx(operation: string) {
    return { operation, bucket: this.#loc.bucket, location: this.location };
  }

  #base(): string {
    return this.#loc.prefix === '' ? '' : `${this.#loc.prefix}/`;
  }

  #key(handle: ObjectHandle): string {
    return handle.type === 'config' ? `${this.#base()}config` : `${this.#base()}${handle.type}/${handle.name}`;
  }
}

async function fileMd5(stream: Readable): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

function nameOf(handle: ObjectHandle): string {
  return handle.type === 'config' ? 'config' : handle.name;
}

const SILENT_LOGGER = { debug: (): void => {}, info: (): void => {}, warn: (): void => {}, error: (): void => {} };

function clientConfig(loc: S3Location, options: S3Options): S3ClientConfig {
  const maxSockets = options.connections ?? 16;
  return {
    region: options.region ?? 'us-east-1',
    ...(loc.endpoint !== undefined ? { endpoint: loc.endpoint } : {}),
    forcePathStyle: options.pathStyle ?? loc.endpoint !== undefined,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Retries are the retry wrapper's job (backoff with jitter, one policy for all backends).
    maxAttempts: 1,
    // The SDK's default logger is the console: it warned on stderr for every failed upload
    // from a file stream ("non-retryable streaming request"), which the wrapper retries and
    // reports in one line of its own.
    logger: SILENT_LOGGER,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets, ...(options.caBundle ? { ca: options.caBundle } : {}) }),
      connectionTimeout: 10_000,
      requestTimeout: options.requestTimeoutMs ?? 120_000,
    },
  };
}
