import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHoldfastError } from '../../core/errors.ts';
import { MASTER_KEY_BYTES, generateMasterKey, masterKeyFromBytes, masterKeyToBytes } from './master-key.ts';

describe('master key', () => {
  it('generates three distinct 32-byte secrets', () => {
    const key = generateMasterKey();
    const parts = [key.encKey, key.idKey, key.chunkerSeed];
    parts.forEach((part) => assert.equal(part.length, 32));
    assert.equal(new Set(parts.map((p) => p.toString('hex'))).size, 3);
    assert.notDeepEqual(generateMasterKey().encKey, key.encKey);
  });

  it('serialises as version 1 || encKey || idKey || chunkerSeed', () => {
    const key = { encKey: Buffer.alloc(32, 1), idKey: Buffer.alloc(32, 2), chunkerSeed: Buffer.alloc(32, 3) };
    const bytes = masterKeyToBytes(key);
    assert.equal(bytes.length, MASTER_KEY_BYTES);
    assert.deepEqual(bytes, Buffer.concat([Buffer.of(1), Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)]));
    assert.deepEqual(masterKeyFromBytes(bytes, 'x'), key);
  });

  it('parses into its own buffers (no aliasing of the input)', () => {
    const bytes = masterKeyToBytes(generateMasterKey());
    const key = masterKeyFromBytes(bytes, 'x');
    bytes.fill(0);
    assert.notDeepEqual(key.encKey, Buffer.alloc(32));
  });

  it('rejects an unknown version and a wrong length', () => {
    const bytes = masterKeyToBytes(generateMasterKey());
    const v2 = Buffer.from(bytes);
    v2[0] = 2;
    assert.throws(() => masterKeyFromBytes(v2, 'slot A'), (e) => isHoldfastError(e, 'REPO_VERSION') && e.message.includes('slot A'));
    assert.throws(() => masterKeyFromBytes(new Uint8Array(0), 'slot A'), (e) => isHoldfastError(e, 'REPO_VERSION'));
    assert.throws(() => masterKeyFromBytes(bytes.subarray(0, 96), 'slot B'), (e) => isHoldfastError(e, 'REPO_CORRUPT') && e.message.includes('slot B'));
  });

  it('refuses to serialise parts of the wrong size', () => {
    const key = { ...generateMasterKey(), idKey: Buffer.alloc(16) };
    assert.throws(() => masterKeyToBytes(key), (e) => isHoldfastError(e, 'INTERNAL'));
  });
});
