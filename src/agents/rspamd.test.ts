// rspamd's answers as the content filter reads them, and the SCL they give
// with the phrases' and the other agents' evidence; RspamdUrl's checks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRspamdUrl } from '../config/model/antispam.js';
import { scoreMessage, withRspamd } from './content-filter.js';
import { readAnswer, type RspamdAnswer } from './rspamd.js';

describe("rspamd's answer", () => {
  it('takes the action, score and required_score, and the heaviest symbols first', () => {
    const a = readAnswer(JSON.stringify({ is_skipped: false, score: 7.5, required_score: 15, action: 'add header', symbols: { R_SPF_FAIL: { score: 1 }, BAYES_SPAM: { score: 5.1 }, 'bad name!': { score: 9 }, ZERO: { score: 0 } } }));
    assert.deepEqual(a, { kind: 'verdict', verdict: { action: 'add header', score: 7.5, requiredScore: 15, symbols: ['BAYES_SPAM', 'R_SPF_FAIL', 'ZERO'] } });
  });

  it("refuses what is not rspamd's answer", () => {
    const why = (body: string) => {
      const a = readAnswer(body);
      assert.equal(a.kind, 'failed', body);
      return (a as { why: string }).why;
    };
    assert.match(why('<html>It works!</html>'), /not JSON/);
    assert.match(why('[1,2]'), /not a JSON object/);
    assert.match(why('null'), /not a JSON object/);
    assert.match(why('{"error":"Message has no content"}'), /rspamd answered an error: Message has no content/);
    assert.match(why('{"score":1,"required_score":15}'), /no action Gatehouse knows \(action: undefined\)/);
    assert.match(why('{"action":"teleport","score":1,"required_score":15}'), /no action Gatehouse knows \(action: "teleport"\)/);
    assert.match(why('{"action":"reject","score":"15","required_score":15}'), /no numeric score/);
  });
});

describe("the SCL with rspamd's verdict", () => {
  const verdict = (action: string, score: number): RspamdAnswer => readAnswer(JSON.stringify({ action, score, required_score: 15, symbols: {} }));
  const base = scoreMessage({ text: 'hello', phrases: [], senderId: 'SoftFail', blockedSender: false });

  it('each action gives its SCL; the higher of the two counts', () => {
    const scl = (action: string) => withRspamd(base, verdict(action, 1)).scl;
    assert.deepEqual(['reject', 'discard', 'quarantine', 'rewrite subject', 'add header', 'greylist', 'soft reject', 'no action'].map(scl), [9, 9, 9, 7, 6, 4, 4, 3]);
    const v = withRspamd(base, verdict('add header', 6.2));
    assert.equal(v.rspamd, 'RSPAMD:add header 6.20/15.00');
    assert.deepEqual(v.reasons, ['SenderIdStatus SoftFail (+3)', 'RSPAMD:add header 6.20/15.00 (SCL 6)']);
  });

  it('a failure keeps the SCL and says why', () => {
    const v = withRspamd(base, { kind: 'failed', why: 'no answer within 10 s' });
    assert.equal(v.scl, 3);
    assert.equal(v.rspamd, undefined);
    assert.deepEqual(v.reasons, ['SenderIdStatus SoftFail (+3)', 'rspamd not counted (no answer within 10 s)']);
  });
});

describe('RspamdUrl', () => {
  it('is made canonical: a base URL ending in /', () => {
    assert.equal(parseRspamdUrl('HTTP://127.0.0.1:11333'), 'http://127.0.0.1:11333/');
    assert.equal(parseRspamdUrl(' https://rspamd.contoso.net/scan '), 'https://rspamd.contoso.net/scan/');
    assert.equal(parseRspamdUrl('http://[::1]:11333/'), 'http://[::1]:11333/');
  });

  it("refuses what is not an rspamd worker's URL", () => {
    for (const [input, message] of [
      ['rspamd', /not an absolute URL/],
      ['file:///tmp/x', /not an http or https URL/],
      ['http://a:b@h:1', /user name or password/],
      ['http://h:1/?x=1', /query or fragment/],
      ['http://h:11333/checkv2', /names one of rspamd's commands/],
      ['http://h:11333/CHECK/', /names one of rspamd's commands/],
    ] as const)
      assert.throws(() => parseRspamdUrl(input), message, input);
  });
});
