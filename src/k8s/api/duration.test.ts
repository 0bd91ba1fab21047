import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, parseRetentionSpan } from './duration.ts';
import { isHoldfastError } from '../../core/errors.ts';

test('Go durations', () => {
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2.5s', 2500],
    ['250ms', 250],
  ];
  for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
});

test('retention spans: m is months, as in holdfast forget', () => {
  const day = 86_400_000;
  const cases: Array<[string, number]> = [
    ['36h', 36 * 3_600_000],
    ['7d', 7 * day],
    ['2w', 14 * day],
    ['1y6m', 365 * day + 180 * day],
  ];
  for (const [text, ms] of cases) assert.equal(parseRetentionSpan(text), ms, text);
});

test('malformed durations are CONFIG_INVALID errors quoting the text', () => {
  for (const bad of ['', '5', '1d', 'm5', '1h 30m']) {
    assert.throws(() => parseGoDuration(bad), (e) => isHoldfastError(e, 'CONFIG_INVALID') && e.message.includes(`'${bad}'`));
  }
  for (const bad of ['', '7', '1s', 'd7']) {
    assert.throws(() => parseRetentionSpan(bad), (e) => isHoldfastError(e, 'CONFIG_INVALID'));
  }
});
