import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../core/errors.ts';
import { parseDuration, parseGroupFile } from './group-spec.ts';

describe('group file', () => {
  it('resolves commands to argv, durations to milliseconds, and defaults member freezes to on', () => {
    const g = parseGroupFile(`
name: scalardb
clockSkewMargin: 2s
members:
  - url: postgres://db1/coordinator
  - url: mariadb://db2/orders
    freeze: false
pause: { command: [scalar-admin, pause] }
resume: { shell: scalar-admin unpause }
probe: { http: { method: GET, url: http://admin/processes } }
`, 'group.yaml');
    assert.deepEqual(g, {
      name: 'scalardb',
      members: [{ url: 'postgres://db1/coordinator', freeze: true }, { url: 'mariadb://db2/orders', freeze: false }],
      pause: { pause: ['scalar-admin', 'pause'], resume: ['/bin/sh', '-c', 'scalar-admin unpause'] },
      probe: { http: { method: 'GET', url: 'http://admin/processes' } },
      clockSkewMarginMs: 2000,
      timeoutMs: 600_000,
    });
  });

  for (const c of [
    { text: 'name: x\nmembers: []', message: 'g.yaml: members: Too small: expected array to have >=1 items' },
    { text: 'name: x\nmembers: [{ url: redis://r }]\nextra: 1', message: 'g.yaml: (top): Unrecognized key: "extra"' },
    { text: 'name: x\nmembers: [{ url: redis://r }]\nresume: { shell: go }', message: 'g.yaml: give both pause and resume, or neither' },
    { text: 'name: x\nmembers: [{ url: redis://r }]\nclockSkewMargin: soon', message: "clockSkewMargin: 'soon' is not a duration (e.g. 2s, 500ms, 5m)" },
    { text: 'name: [', message: 'g.yaml: not valid YAML' },
  ]) {
    it(`refuses: ${c.message}`, () => {
      assert.throws(() => parseGroupFile(c.text, 'g.yaml'), (err: unknown) => isHoldfastError(err, 'CONFIG_INVALID') && err.message.startsWith(c.message));
    });
  }

  it('reads durations', () => {
    assert.deepEqual(['500ms', '2s', '1.5m', '1h'].map((d) => parseDuration(d, 'f')), [500, 2000, 90_000, 3_600_000]);
    assert.equal(parseDuration(3, 'f'), 3000);
  });
});
