import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HoldfastError, type ErrorCode } from '../../core/errors.ts';
import { toStorageError, type FsOperation } from './fs-errors.ts';

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: something, open '/srv/repo/x'`), { code });
}

describe('toStorageError', () => {
  const cases: { errno: string | undefined; op: FsOperation; code: ErrorCode; reason: string }[] = [
    { errno: 'ENOENT', op: 'read', code: 'OBJECT_NOT_FOUND', reason: 'not found' },
    { errno: 'ENOENT', op: 'stat', code: 'OBJECT_NOT_FOUND', reason: 'not found' },
    { errno: 'ENOENT', op: 'write', code: 'STORAGE_IO', reason: 'not found' },
    { errno: 'EACCES', op: 'read', code: 'STORAGE_PERMISSION', reason: 'permission denied' },
    { errno: 'EPERM', op: 'delete', code: 'STORAGE_PERMISSION', reason: 'operation not permitted' },
    { errno: 'EROFS', op: 'write', code: 'STORAGE_PERMISSION', reason: 'read-only file system' },
    { errno: 'EAGAIN', op: 'read', code: 'STORAGE_TRANSIENT', reason: 'temporarily unavailable' },
    { errno: 'EBUSY', op: 'write', code: 'STORAGE_TRANSIENT', reason: 'busy' },
    { errno: 'EINTR', op: 'read', code: 'STORAGE_TRANSIENT', reason: 'interrupted' },
    { errno: 'EMFILE', op: 'list', code: 'STORAGE_TRANSIENT', reason: 'too many open files' },
    { errno: 'ENFILE', op: 'read', code: 'STORAGE_TRANSIENT', reason: 'too many open files' },
    { errno: 'ENOSPC', op: 'write', code: 'STORAGE_IO', reason: 'no space left' },
    { errno: 'EIO', op: 'read', code: 'STORAGE_IO', reason: 'input/output error' },
    { errno: 'EWEIRD', op: 'read', code: 'STORAGE_IO', reason: 'EWEIRD: something' },
  ];
  for (const c of cases) {
    it(`maps ${c.errno} on ${c.op} to ${c.code}`, () => {
      const cause = errno(c.errno ?? '');
      const err = toStorageError(cause, { op: c.op, subject: 'data/ab/abcd', location: '/srv/repo' });
      assert.equal(err.code, c.code);
      assert.ok(err.message.startsWith(`cannot ${c.op} data/ab/abcd in /srv/repo: `), err.message);
      assert.ok(err.message.includes(c.reason), err.message);
      assert.equal(err.cause, cause);
    });
  }

  it('formats the message the CLI prints', () => {
    const err = toStorageError(errno('EACCES'), { op: 'read', subject: 'data/ab/abcd', location: '/srv/repo' });
    assert.equal(err.message, 'cannot read data/ab/abcd in /srv/repo: permission denied');
  });

  it('maps a value without an errno to STORAGE_IO with its message', () => {
    const err = toStorageError(new Error('boom'), { op: 'write', subject: 'config', location: '/r' });
    assert.equal(err.code, 'STORAGE_IO');
    assert.equal(err.message, 'cannot write config in /r: boom');
  });

  it('passes a HoldfastError through unchanged', () => {
    const original = new HoldfastError('INTERNAL', 'bug');
    assert.equal(toStorageError(original, { op: 'read', subject: 'x', location: '/r' }), original);
  });
});
