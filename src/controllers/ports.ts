/**
 * What controllers need from the repository engine, as small interfaces they own. The
 * engine lives below the line controllers may not cross (they never import repo or
 * mover); `bin/` wires implementations in.
 */
import type { Readable, Writable } from 'node:stream';

/** Where a repository is and how to open it, resolved from a BackupRepository and its Secrets. */
export interface RepositoryTarget {
  /** A path or `s3:…` location. */
  readonly location: string;
  readonly password: string;
  readonly s3?: {
    readonly region: string;
    readonly pathStyle: boolean;
    readonly caBundle: string | undefined;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string | undefined } | undefined;
    readonly objectLock: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number } | undefined;
  };
}

export interface RepositoryInfo {
  readonly id: string;
  readonly formatVersion: number;
  readonly snapshots: number;
  readonly packs: number;
  readonly storedBytes: number;
}

export interface RepositoryGateway {
  /** Opens the repository (creating it first when `initialize` and none exists) and describes it. */
  probe(target: RepositoryTarget, opts: { readonly initialize: boolean }): Promise<RepositoryInfo>;
}

export interface ArchivedFile {
  readonly path: string;
  readonly data: Buffer;
}

export interface ArchiveMeta {
  /** The snapshot's path, e.g. `/kubernetes/shop`. */
  readonly root: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly hostname: string;
}

/** A resources snapshot as the catalog sees it: no file contents, just who made it and when. */
export interface ArchivedSnapshot {
  readonly id: string;
  /** RFC 3339 time the snapshot was taken. */
  readonly time: string;
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Files (objects) in the snapshot. */
  readonly files: number;
  readonly bytes: number;
}

/** A backup's Kubernetes objects as one repository snapshot of files. */
export interface ResourceArchive {
  /** Stores the files as a new snapshot; returns its id and the bytes it added. */
  save(target: RepositoryTarget, files: readonly ArchivedFile[], meta: ArchiveMeta): Promise<{ readonly snapshotId: string; readonly bytesNew: number; readonly bytesStored: number }>;
  /** The newest snapshot whose labels include `labels`, if any (finds the work of an interrupted run). */
  find(target: RepositoryTarget, labels: Readonly<Record<string, string>>): Promise<string | undefined>;
  read(target: RepositoryTarget, snapshotId: string): Promise<ArchivedFile[]>;
  /** Every resources snapshot in the repository, oldest first. */
  list(target: RepositoryTarget): Promise<ArchivedSnapshot[]>;
  /** Removes the snapshot (its data goes at the next prune); absent snapshots are fine. */
  forget(target: RepositoryTarget, snapshotId: string): Promise<void>;
}

export interface StreamMeta {
  /** The stored file name, e.g. `app.pgdump`. */
  readonly filename: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly hostname: string;
  /** What produced the stream, for the manifest (never a secret). */
  readonly command?: string;
  /** Runs after the stream ended and before the snapshot is published; a rejection publishes nothing. */
  readonly beforePublish: () => Promise<void>;
}

/** A byte stream (a database dump) as one repository snapshot, stored as it arrives (no staging on disk), and read back. */
export interface StreamArchive {
  saveStream(target: RepositoryTarget, input: Readable, meta: StreamMeta): Promise<{ readonly snapshotId: string; readonly bytes: number; readonly bytesNew: number }>;
  /** Writes the stored stream of `snapshotId` to `out` (without ending it); resolves with the bytes written. */
  readStream(target: RepositoryTarget, snapshotId: string, out: Writable): Promise<number>;
}
