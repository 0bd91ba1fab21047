/**
 * Redis through `holdfast backup redis://…` / `restore --into … --drop`, against real
 * servers: BGSAVE, the RDB captured, loaded into a fresh server which then holds the
 * same keys and values (strings, hashes, lists, sets, sorted sets, expiry kept).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { show, stderrLines } from '../helpers/cli.ts';
import { startRedis } from '../helpers/databases/redis.ts';
import type { RedisServer } from '../helpers/databases/redis.ts';
import { createTestRepository } from '../helpers/test-repository.ts';
import type { TestRepository } from '../helpers/test-repository.ts';

/** Every key with its type and value, sorted, read in one server-side script: equal digests mean equal data sets. */
const DIGEST = `local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local t = redis.call('TYPE', k).ok
  local v
  if t == 'string' then v = { redis.call('GET', k) }
  elseif t == 'hash' then v = redis.call('HGETALL', k)
  elseif t == 'list' then v = redis.call('LRANGE', k, 0, -1)
  elseif t == 'set' then v = redis.call('SMEMBERS', k)
  elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  else v = { 'unexpected type' } end
  if t == 'set' or t == 'hash' then table.sort(v) end
  table.insert(out, k .. ' ' .. t .. ' ' .. table.concat(v, ','))
end
table.sort(out)
return out`;

async function digest(r: RedisServer): Promise<string[]> {
  return (await r.cli('EVAL', DIGEST, '0')).split('\n').filter(Boolean);
}

describe('redis', () => {
  let source: RedisServer;
  let t: TestRepository;
  const fresh: RedisServer[] = [];

  before(async () => {
    source = await startRedis('redis-test-secret');
    t = await createTestRepository();
    const cmds = ['MSET', ...Array.from({ length: 2000 }, (_, i) => [`user:${i}`, `name-${i}-${'x'.repeat(i % 50)}`]).flat()];
    await source.cli(...cmds);
    await source.cli('HSET', 'cart:7', 'apples', '3', 'pears', '5');
    await source.cli('RPUSH', 'queue', 'a', 'b', 'c');
    await source.cli('SADD', 'tags', 'red', 'green');
    await source.cli('ZADD', 'scores', '10', 'ann', '20', 'bob');
    await source.cli('SET', 'session:1', 'token', 'EX', '3600');
  });
  after(async () => {
    for (const r of fresh) await r.stop();
    await source?.stop();
    await t?.cleanup();
  });

  it('backs up a running server and restores the same keys into a fresh server', async () => {
    const b = await t.cli.run(['backup', source.url()]);
    assert.equal(b.code, 0, show(b));
    const target = await startRedis();
    fresh.push(target);
    await target.cli('SET', 'leftover', '1');
    const r = await t.cli.run(['restore', 'latest', '--into', target.url(), '--drop']);
    assert.equal(r.code, 0, show(r));
    const [want, got] = [await digest(source), await digest(target)];
    assert.equal(got.length, 2005);
    assert.deepEqual(got, want);
    const ttl = Number(await target.cli('TTL', 'session:1'));
    assert.ok(ttl > 3000 && ttl <= 3600, `expiry kept (TTL ${ttl})`);
  });

  it('refuses to load without --drop, with one clear line', async () => {
    const target = await startRedis();
    fresh.push(target);
    const r = await t.cli.run(['restore', 'latest', '--into', target.url()]);
    assert.equal(r.code, 2, show(r));
    assert.equal(stderrLines(r).length, 1, show(r));
    assert.match(stderrLines(r)[0] ?? '', /replaces every key of redis 127\.0\.0\.1:\d+; pass --drop to confirm/);
  });

  it('fails with one clear line for a wrong password', async () => {
    const r = await t.cli.run(['backup', source.url('wrong')]);
    assert.equal(r.code, 14, show(r));
    assert.equal(stderrLines(r).length, 1, show(r));
    assert.match(stderrLines(r)[0] ?? '', /^holdfast: redis 127\.0\.0\.1:\d+: authentication failed: /);
  });
});
