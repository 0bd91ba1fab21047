import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureText, findSummary, lastStatus } from './mover-output.ts';

const summary = '{"message_type":"summary","snapshot_id":"ab12","parent":"cd34","files_changed":1,"files_unchanged":5,"bytes_total":900,"bytes_read":300,"bytes_new":310}';

describe('mover output', () => {
  it('takes the newest status line of a log tail', () => {
    const log = ['{"message_type":"status","bytes_done":10,"bytes_total":null}', 'warning: x: unreadable', '{"message_type":"status","bytes_done":20,"bytes_total":100}', ''].join('\n');
    assert.deepEqual(lastStatus(log), { bytesDone: 20, bytesTotal: 100 });
    assert.deepEqual(lastStatus('{"message_type":"status","bytes_done":5,"bytes_total":null}'), { bytesDone: 5, bytesTotal: undefined });
    assert.equal(lastStatus('holdfast: wrong password'), undefined);
  });

  it('reads the summary from a termination message or the end of a log', () => {
    const expected = { snapshotId: 'ab12', parent: 'cd34', bytesTotal: 900, bytesDone: 300, bytesNew: 310, filesChanged: 1, filesUnchanged: 5 };
    assert.deepEqual(findSummary(summary), expected);
    assert.deepEqual(findSummary(`{"message_type":"status","bytes_done":1}\n${summary}\n`), expected);
    assert.equal(findSummary('{"message_type":"summary"}'), undefined);
    assert.equal(findSummary('not json {'), undefined);
    const restore = findSummary('{"message_type":"summary","snapshot_id":"ef","bytes_total":7,"bytes_written":7}');
    assert.equal(restore?.bytesDone, 7);
    assert.equal(restore?.parent, undefined);
  });

  it('keeps the text of a failure, not its JSON', () => {
    const log = `{"message_type":"status","bytes_done":1}\nholdfast: wrong password for the repository at /repo: none of its 1 key slot(s) opens with it\n`;
    assert.equal(failureText(log), 'holdfast: wrong password for the repository at /repo: none of its 1 key slot(s) opens with it');
    assert.equal(failureText('a\nb\nc\nd\ne\nf\n'), 'b | c | d | e | f');
    assert.equal(failureText('x'.repeat(50), 10), `…${'x'.repeat(10)}`);
  });
});
