import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expand, expandAction, mergeParameters, redact } from './parameters.ts';

const p = { values: { db: 'shop', password: 's3cret' }, secrets: ['s3cret'] };

describe('recipe parameters in the operator', () => {
  it('inserts $(name), keeps $$( literal and unknown names as written', () => {
    assert.equal(expand('pg_dump $(db) $$(db) $(other)', p), 'pg_dump shop $(db) $(other)');
  });

  it('expands exec commands, HTTP URL, headers and body, and Job arguments', () => {
    const a = expandAction({ http: { method: 'POST', url: 'http://h/$(db)', headers: { x: '$(db)' }, body: '{"db":"$(db)"}', expectStatus: [200] } } as never, p);
    assert.equal(a.http?.url, 'http://h/shop');
    assert.deepEqual(a.http?.headers, { x: 'shop' });
    assert.equal(a.http?.body, '{"db":"shop"}');
    const e = expandAction({ exec: { command: ['psql', '-d', '$(db)'] } } as never, p);
    assert.deepEqual(e.exec?.command, ['psql', '-d', 'shop']);
  });

  it('blanks secret values out of messages; later parameters win when merged', () => {
    assert.equal(redact('login failed for s3cret', p), 'login failed for ***');
    const m = mergeParameters(p, { values: { db: 'other' }, secrets: [] });
    assert.equal(m.values.db, 'other');
    assert.deepEqual(m.secrets, ['s3cret']);
  });
});
