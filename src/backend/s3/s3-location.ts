/**
 * S3 repository locations. Three forms:
 *
 *     s3:https://host[:port]/bucket[/prefix]   an S3-compatible server (MinIO, Ceph RGW …)
 *     s3:http://127.0.0.1:9000/bucket/prefix   the same without TLS
 *     s3:bucket[/prefix]                       AWS S3; the endpoint follows from the region
 *
 * The prefix is a folder inside the bucket; the repository's objects live under it, so
 * one bucket can hold several repositories.
 */
import { HoldfastError } from '../../core/errors.ts';

export interface S3Location {
  /** The endpoint URL (scheme, host, port), or undefined for AWS S3 itself. */
  readonly endpoint: string | undefined;
  readonly bucket: string;
  /** No leading or trailing slash; '' for the bucket's root. */
  readonly prefix: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Location(location: string): boolean {
  return location.startsWith('s3:');
}

export function parseS3Location(location: string): S3Location {
  const rest = location.slice('s3:'.length);
  if (/^https?:\/\//.test(rest)) return fromUrl(location, rest);
  return fromPath(location, undefined, rest);
}

/** The location again, for messages: never contains credentials. */
export function describeS3Location(loc: S3Location): string {
  const path = loc.prefix === '' ? loc.bucket : `${loc.bucket}/${loc.prefix}`;
  return loc.endpoint === undefined ? `s3:${path}` : `s3:${loc.endpoint}/${path}`;
}

function fromUrl(location: string, rest: string): S3Location {
  let url: URL;
  try {
    url = new URL(rest);
  } catch (err) {
    throw invalid(location, 'not a valid URL', err);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid(location, 'credentials do not belong in the URL; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY');
  }
  if (url.search !== '' || url.hash !== '') throw invalid(location, 'a query or fragment is not allowed');
  return fromPath(location, `${url.protocol}//${url.host}`, decodeURIComponent(url.pathname));
}

function fromPath(location: string, endpoint: string | undefined, path: string): S3Location {
  const parts = path.split('/').filter((p) => p !== '');
  const [bucket, ...prefix] = parts;
  if (bucket === undefined) throw invalid(location, 'no bucket given');
  if (!BUCKET_NAME.test(bucket)) throw invalid(location, `'${bucket}' is not a valid bucket name`);
  if (prefix.some((p) => p === '.' || p === '..')) throw invalid(location, "'.' and '..' are not allowed in the prefix");
  return { endpoint, bucket, prefix: prefix.join('/') };
}

function invalid(location: string, why: string, cause?: unknown): HoldfastError {
  return new HoldfastError('CONFIG_INVALID', `invalid S3 repository location '${location}': ${why} (expected s3:https://host/bucket/prefix or s3:bucket/prefix)`, { cause });
}
