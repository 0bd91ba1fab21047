import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { describeS3Location, parseS3Location } from './s3-location.ts';

describe('S3 locations', () => {
  const good = [
    { input: 's3:http://127.0.0.1:9000/backups/team-a/db', endpoint: 'http://127.0.0.1:9000', bucket: 'backups', prefix: 'team-a/db' },
    { input: 's3:https://s3.example.test/backups', endpoint: 'https://s3.example.test', bucket: 'backups', prefix: '' },
    { input: 's3:https://s3.example.test/backups/', endpoint: 'https://s3.example.test', bucket: 'backups', prefix: '' },
    { input: 's3:my-bucket/some/prefix', endpoint: undefined, bucket: 'my-bucket', prefix: 'some/prefix' },
    { input: 's3:my-bucket', endpoint: undefined, bucket: 'my-bucket', prefix: '' },
  ];
  for (const c of good) {
    it(`parses ${c.input}`, () => {
      assert.deepEqual(parseS3Location(c.input), { endpoint: c.endpoint, bucket: c.bucket, prefix: c.prefix });
      assert.equal(describeS3Location(parseS3Location(c.input)), c.input.replace(/\/$/, ''));
    });
  }

  const bad = [
    { input: 's3:', why: 'no bucket given' },
    { input: 's3:http://host:9000/', why: 'no bucket given' },
    { input: 's3:http://key:secret@host/bucket', why: 'credentials do not belong in the URL' },
    { input: 's3:Bad_Bucket/x', why: "'Bad_Bucket' is not a valid bucket name" },
    { input: 's3:bucket/../x', why: "'.' and '..' are not allowed" },
    { input: 's3:http://host/bucket?x=1', why: 'a query or fragment is not allowed' },
  ];
  for (const c of bad) {
    it(`rejects ${c.input}`, () => {
      assert.throws(() => parseS3Location(c.input), (err: unknown) => {
        assert.ok(isHoldfastError(err, 'CONFIG_INVALID'));
        assert.ok(err.message.includes(c.why), err.message);
        return true;
      });
    });
  }
});
