import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drain, execute, pipeline, run, shellQuote } from './proc.ts';

test('shellQuote leaves plain words and quotes the rest', () => {
  assert.equal(shellQuote('/usr/lib/postgresql/15/bin/pg_dump'), '/usr/lib/postgresql/15/bin/pg_dump');
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
});

test('pipeline fails when the producer fails', async () => {
  const res = await execute({ argv: pipeline(['false'], ['cat']) });
  assert.notEqual(res.code, 0);
  assert.equal(await run({ argv: pipeline(['echo', 'a b'], ['wc', '-c']) }).then((s) => s.trim()), '4');
});

test('a command past its timeout is killed with its children', async () => {
  const started = Date.now();
  const res = await execute({ argv: ['bash', '-c', 'sleep 30 | cat'], timeoutS: 1 });
  assert.equal(res.timedOut, true);
  assert.ok(Date.now() - started < 10_000);
});

test('drain counts the bytes of stdout', async () => {
  assert.equal(await drain(['head', '-c', '123456', '/dev/zero']), 123456);
});
