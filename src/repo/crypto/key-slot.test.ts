import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError, type ErrorCode } from '../../core/errors.ts';
import { generateMasterKey } from './master-key.ts';
import {
  KDF_COSTS,
  createKeySlot,
  kdfAad,
  openKeySlot,
  parseKeySlot,
  type KdfAlgorithm,
  type KeySlot,
} from './key-slot.ts';

const opts = { cost: 'test', hostname: 'host-1', username: 'alice', now: new Date('2026-11-21T00:00:00Z') } as const;
const fixedMaster = { encKey: Buffer.alloc(32, 1), idKey: Buffer.alloc(32, 2), chunkerSeed: Buffer.alloc(32, 3) };
const algorithms: KdfAlgorithm[] = ['argon2id', 'scrypt'];
const hasCode = (code: ErrorCode, where?: string) => (err: unknown) =>
  isHoldfastError(err, code) && (where === undefined || err.message.includes(where));

// Created once with the password "correct horse" and the test cost; opening them pins
// the whole format: KDF inputs, salt encoding, canonical aad, seal layout, key bytes.
const PINNED: Record<KdfAlgorithm, KeySlot> = {
  argon2id: {
    version: 1,
    created: '2026-11-21T00:00:00.000Z',
    hostname: 'h',
    username: 'u',
    kdf: { algorithm: 'argon2id', memoryKiB: 64, passes: 1, parallelism: 1, salt: '94jDth7oyaPeXbx7aVNN9w==' },
    wrapped:
      'zLwAPuezIJpCWvaKxk0bqQSQ/MwOAlnAzwyl6T7h5qfBwy7qqSpBUwyEv1MT2yNzB3jHF7a5EV8SA4r4HHcErIg3HFUSfhEtfHd+sFNpvkZYnsYAgq9UTL7gUGkQbA2I8uwxxjugv/GpVV9zr98Wb2OPKZP85BOWQ7GSRyo=',
  },
  scrypt: {
    version: 1,
    created: '2026-11-21T00:00:00.000Z',
    hostname: 'h',
    username: 'u',
    kdf: { algorithm: 'scrypt', N: 1024, r: 8, p: 1, salt: '6x+tVd/gySSkrWpzBijTWQ==' },
    wrapped:
      'JVZzUnD6ny0aVjoqGOazusQodakRMEwP6tx8SXL2T9ZK/AvB88eiMas1AvR+uryyQcZo1EWYMt7+6sEHKpiwsS/tvakEFBWRTU0ShQqrd+jJJo1tbOk727tg1tJAGTuSFvvln6mf28ECSEu1LsHY6UqZfXfGc7G01Ttcn9A=',
  },
};

/** As PINNED.argon2id but with two lanes, as default-cost slots have had since ADR 0028. */
const PINNED_TWO_LANES: KeySlot = {
  version: 1,
  created: '2026-11-21T00:00:00.000Z',
  hostname: 'h',
  username: 'u',
  kdf: { algorithm: 'argon2id', memoryKiB: 64, passes: 1, parallelism: 2, salt: 'OdRx1rBQzZ4Ko4Mdu32urQ==' },
  wrapped:
    'AU+8l+ApQk+zesC1Rafiw4Y59mWIEqs/0ollDw+GskckOfNP77y+AN2UO4BFolWQA7e7KfTzgEBUuzq0juZ35ypL5I7PFG2O3WVwrY9OW6Oe77nGIZ1m5luGdQK5OF5ctCr9rO9N8WxOR9KeiWLK5w5kd7zatS5BxzgqV3w=',
};

/** A slot as plain JSON, for tampering. */
function toJson(slot: KeySlot): Record<string, unknown> & { kdf: Record<string, unknown> } {
  return JSON.parse(JSON.stringify(slot)) as Record<string, unknown> & { kdf: Record<string, unknown> };
}

describe('key slots', () => {
  for (const kdf of algorithms) {
    it(`round-trips the master key through JSON (${kdf})`, async () => {
      const master = generateMasterKey();
      const slot = await createKeySlot('correct horse', master, { ...opts, kdf });
      assert.equal(slot.kdf.algorithm, kdf);
      assert.deepEqual(slot.kdf, { ...KDF_COSTS.test[kdf], salt: slot.kdf.salt });
      assert.equal(slot.created, '2026-11-21T00:00:00.000Z');
      const reread = parseKeySlot(JSON.parse(JSON.stringify(slot)), 'keys/1');
      assert.deepEqual(await openKeySlot(reread, 'correct horse'), master);
    });

    it(`opens a slot written by an earlier build (${kdf})`, async () => {
      assert.deepEqual(await openKeySlot(PINNED[kdf], 'correct horse'), fixedMaster);
    });

    it(`reports WRONG_PASSWORD for a wrong password (${kdf})`, async () => {
      await assert.rejects(openKeySlot(PINNED[kdf], 'correct horsE', 'keys/abc'), hasCode('WRONG_PASSWORD', 'keys/abc'));
      await assert.rejects(openKeySlot(PINNED[kdf], ''), hasCode('WRONG_PASSWORD'));
    });
  }

  it('opens a two-lane argon2id slot written by an earlier build, and lanes are part of the derivation', async () => {
    assert.deepEqual(await openKeySlot(PINNED_TWO_LANES, 'correct horse'), fixedMaster);
    const oneLane = toJson(PINNED_TWO_LANES);
    oneLane.kdf.parallelism = 1;
    await assert.rejects(openKeySlot(parseKeySlot(oneLane, 'one lane'), 'correct horse'), hasCode('WRONG_PASSWORD'));
  });

  it('uses a fresh salt per slot', async () => {
    const master = generateMasterKey();
    const [a, b] = await Promise.all([createKeySlot('pw', master, opts), createKeySlot('pw', master, opts)]);
    assert.notEqual(a.kdf.salt, b.kdf.salt);
    assert.notEqual(a.wrapped, b.wrapped);
  });

  it('fails when the KDF parameters or the wrapped key are altered', async () => {
    const tampered: [string, (j: ReturnType<typeof toJson>) => void][] = [
      ['salt', (j) => (j.kdf.salt = Buffer.alloc(16, 7).toString('base64'))],
      ['passes', (j) => (j.kdf.passes = 2)],
      ['memory', (j) => (j.kdf.memoryKiB = 128)],
      ['wrapped', (j) => (j.wrapped = flipFirstBit(String(j.wrapped)))],
    ];
    for (const [name, change] of tampered) {
      const json = toJson(PINNED.argon2id);
      change(json);
      await assert.rejects(openKeySlot(parseKeySlot(json, name), 'correct horse'), hasCode('WRONG_PASSWORD'), name);
    }
  });

  it('binds the canonical KDF parameters as associated data', () => {
    assert.equal(
      kdfAad(PINNED.argon2id.kdf).toString(),
      '{"algorithm":"argon2id","memoryKiB":64,"passes":1,"parallelism":1,"salt":"94jDth7oyaPeXbx7aVNN9w=="}',
    );
    const reordered = { salt: 'x', p: 1, r: 8, N: 1024, algorithm: 'scrypt' } as const;
    assert.equal(kdfAad(reordered).toString(), '{"algorithm":"scrypt","N":1024,"r":8,"p":1,"salt":"x"}');
  });

  it('treats differently composed Unicode passwords alike (NFC)', async () => {
    const master = generateMasterKey();
    const slot = await createKeySlot('caf\u00e9', master, opts);
    assert.deepEqual(await openKeySlot(slot, 'cafe\u0301'), master);
  });

  it('refuses an empty password', async () => {
    await assert.rejects(createKeySlot('', generateMasterKey(), opts), hasCode('USAGE'));
  });

  it('derives the default-cost argon2id key without blocking the event loop', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const master = generateMasterKey();
    const slot = await createKeySlot('pw', master, { ...opts, cost: 'default' });
    clearInterval(timer);
    assert.deepEqual(slot.kdf, { ...KDF_COSTS.default.argon2id, salt: slot.kdf.salt });
    assert.ok(ticks >= 5, `only ${ticks} timer ticks while deriving`);
  });
});

function flipFirstBit(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[0]! ^= 1;
  return bytes.toString('base64');
}

describe('parseKeySlot', () => {
  const valid = toJson(PINNED.scrypt);
  const variants: [string, (j: Record<string, unknown> & { kdf: Record<string, unknown> }) => unknown][] = [
    ['null', () => null],
    ['an array', () => []],
    ['a string', () => 'key'],
    ['a missing field', ({ hostname: _, ...rest }) => rest],
    ['an unknown field', (j) => ({ ...j, comment: 'hi' })],
    ['an unknown kdf field', (j) => ({ ...j, kdf: { ...j.kdf, dkLen: 32 } })],
    ['an unknown algorithm', (j) => ({ ...j, kdf: { ...j.kdf, algorithm: 'pbkdf2' } })],
    ['argon2id fields under scrypt', (j) => ({ ...j, kdf: { ...toJson(PINNED.argon2id).kdf, algorithm: 'scrypt' } })],
    ['a non-base64 salt', (j) => ({ ...j, kdf: { ...j.kdf, salt: 'not base64!' } })],
    ['a short salt', (j) => ({ ...j, kdf: { ...j.kdf, salt: 'AAAA' } })],
    ['N not a power of two', (j) => ({ ...j, kdf: { ...j.kdf, N: 1000 } })],
    ['a fractional r', (j) => ({ ...j, kdf: { ...j.kdf, r: 8.5 } })],
    ['scrypt needing > 1 GiB', (j) => ({ ...j, kdf: { ...j.kdf, N: 2 ** 24, r: 8 } })],
    ['argon2id needing > 1 GiB', () => ({ ...toJson(PINNED.argon2id), kdf: { ...toJson(PINNED.argon2id).kdf, memoryKiB: 2 ** 21 } })],
    ['argon2id memory below 8 × parallelism', () => ({ ...toJson(PINNED.argon2id), kdf: { ...toJson(PINNED.argon2id).kdf, parallelism: 16 } })],
    ['a string version', (j) => ({ ...j, version: '1' })],
    ['a created that is not a time', (j) => ({ ...j, created: 'yesterday' })],
    ['a wrapped key too short', (j) => ({ ...j, wrapped: Buffer.alloc(20).toString('base64') })],
    ['a numeric hostname', (j) => ({ ...j, hostname: 42 })],
  ];
  for (const [name, make] of variants) {
    it(`rejects ${name} as REPO_CORRUPT naming the object`, () => {
      assert.throws(() => parseKeySlot(make(toJson(PINNED.scrypt)), 'keys/0a1b in s3://bucket'), hasCode('REPO_CORRUPT', 'keys/0a1b in s3://bucket'));
    });
  }

  it('rejects a newer slot version as REPO_VERSION', () => {
    assert.throws(() => parseKeySlot({ ...valid, version: 2 }, 'keys/2'), hasCode('REPO_VERSION', 'keys/2'));
  });

  it('accepts a valid slot and both cost presets', () => {
    assert.deepEqual(parseKeySlot(valid, 'x'), PINNED.scrypt);
    for (const cost of ['default', 'test'] as const) {
      for (const kdf of algorithms) {
        const slot = { ...valid, kdf: { ...KDF_COSTS[cost][kdf], salt: valid.kdf.salt } };
        assert.doesNotThrow(() => parseKeySlot(slot, `${cost} ${kdf}`));
      }
    }
  });
});
