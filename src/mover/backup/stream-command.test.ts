import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { PipeReader, startCommand, type StartedCommand } from './stream-command.ts';

function newReader(pipes: ConstructorParameters<typeof PipeReader>[0], fd: number): PipeReader {
  return new PipeReader(pipes, fd, 1 << 20);
}

async function collect(output: AsyncIterable<Buffer>): Promise<{ text: string; pieces: number }> {
  const parts: Buffer[] = [];
  for await (const piece of output) parts.push(Buffer.from(piece));
  return { text: Buffer.concat(parts).toString(), pieces: parts.length };
}

function numbers(n: number): string {
  let out = '';
  for (let i = 1; i <= n; i++) out += `${i}\n`;
  return out;
}

async function failure(started: StartedCommand): Promise<string> {
  try {
    await started.succeeded();
  } catch (err) {
    assert.ok(isHoldfastError(err) && err.code === 'COMMAND_FAILED', String(err));
    return err.message;
  }
  return assert.fail('the command counted as a success');
}

for (const native of [true, false]) {
  describe(`startCommand, ${native ? 'native pipe reads' : "Node's pipe"}`, () => {
    it('reads a large output whole and in order', async () => {
      const started = startCommand('seq 1 400000', 1 << 20, native);
      const { text, pieces } = await collect(started.output);
      await started.succeeded();
      assert.equal(text, numbers(400000));
      // 2.7 MB: a MiB a piece when read natively, not a piece per small write.
      if (native) assert.ok(pieces <= 4, `${pieces} pieces`);
    });

    it('reads an output that trickles in, and an empty one', async () => {
      const slow = startCommand('for i in 1 2 3; do echo $i; sleep 0.05; done', 1 << 20, native);
      assert.equal((await collect(slow.output)).text, '1\n2\n3\n');
      const empty = startCommand('true', 1 << 20, native);
      assert.equal((await collect(empty.output)).text, '');
      await Promise.all([slow.succeeded(), empty.succeeded()]);
    });

    it('keeps what a failing command printed and reports its status', async () => {
      const started = startCommand('echo partial; exit 3', 1 << 20, native);
      assert.equal((await collect(started.output)).text, 'partial\n');
      assert.match(await failure(started), /^'echo partial; exit 3' exited with status 3; no snapshot was saved$/);
    });

    it('stops a command whose output is no longer read, and its output then ends', async () => {
      const started = startCommand('exec yes', 1 << 20, native);
      const reading = started.output[Symbol.asyncIterator]();
      assert.equal((await reading.next()).done, false);
      started.stop();
      let more = await reading.next();
      while (!more.done) more = await reading.next();
      assert.match(await failure(started), /exited with status 128/);
    });
  });
}

describe('PipeReader', () => {
  it('lets go of a writer that goes quiet without closing once stopped', async () => {
    const native = createRequire(import.meta.url)('holdfast-native') as Parameters<typeof newReader>[0];
    const [r, w] = native.blockingPipe();
    try {
      writeSync(w, 'abc');
      const reader = newReader(native, r);
      const reading = reader[Symbol.asyncIterator]();
      assert.equal(String((await reading.next()).value), 'abc', 'a quiet writer\'s bytes come out after the wait');
      const started = Date.now();
      reader.stop();
      assert.equal((await reading.next()).done, true);
      assert.ok(Date.now() - started < 2000, `stopping took ${Date.now() - started} ms`);
    } finally {
      closeSync(w);
    }
  });
});

describe('the native pipe reader', () => {
  const native = createRequire(import.meta.url)('holdfast-native') as {
    readAtLeast(fd: number, buffer: Uint8Array, min: number): Promise<number>;
  };

  it('is built (without it, command backups read through the event loop)', () => {
    assert.equal(typeof native.readAtLeast, 'function', 'holdfast-native is not loadable: run `npm install` (node-gyp)');
  });

  it('adopts a pipe (standard input of `cmd | holdfast`), not a file', async () => {
    const pipes = native as unknown as { blockingPipe(): [number, number]; adoptPipe(fd: number): boolean };
    const [r, w] = pipes.blockingPipe();
    const file = openSync(import.meta.filename, 'r');
    try {
      assert.equal(pipes.adoptPipe(r), true);
      assert.equal(pipes.adoptPipe(file), false);
      writeSync(w, 'abc');
      closeSync(w);
      const buf = new Uint8Array(8);
      assert.equal(await native.readAtLeast(r, buf, 8), 3, 'fewer than asked only at the end');
    } finally {
      closeSync(r);
      closeSync(file);
    }
  });

  it('names the errno of a descriptor it cannot read, and refuses a bad minimum', async () => {
    await assert.rejects(native.readAtLeast(1 << 20, new Uint8Array(16), 1), (err: NodeJS.ErrnoException) => err.code === 'EBADF');
    assert.throws(() => native.readAtLeast(0, new Uint8Array(16), 17), /min must be between 1 and the buffer's length/);
  });
});
