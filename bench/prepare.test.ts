import assert from 'node:assert/strict';
import { test } from 'node:test';
import { s3Notes } from './prepare.ts';

test('the S3 notes name the server, what du -sb counts, and warn when the data is on another disk', () => {
  const notes = s3Notes({ version: 'minio v0', endpoint: 'http://127.0.0.1:9000', warning: undefined }, 'holdfast-bench');
  assert.match(notes[0] ?? '', /s3:http:\/\/127\.0\.0\.1:9000\/holdfast-bench\/<dataset>-<tool> on one minio v0/);
  assert.match(notes.join('\n'), /xl\.meta/);
  assert.doesNotMatch(notes.join('\n'), /WARNING/);
  const warned = s3Notes({ version: 'minio v0', endpoint: 'http://127.0.0.1:9000', warning: 'not on the same disk' }, 'b');
  assert.equal(warned.at(-1), 'WARNING: not on the same disk');
});
