import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../test/harness/seeded-random.js';
import { parseHeader } from './message-headers.js';
import { HeaderBoundary, splitContent, withoutEmptyLine } from './header-section.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('header section', () => {
  it('ends at the first empty line, whatever line ends make it', () => {
    const cases: [string, string, string][] = [
      ['A: 1\r\n\r\nbody', 'A: 1\r\n', 'body'],
      ['A: 1\n\nbody', 'A: 1\n', 'body'],
      ['A: 1\r\rbody', 'A: 1\r', 'body'],
      ['A: 1\r\r\nbody', 'A: 1\r', 'body'],
      ['A: 1\r\n\rbody', 'A: 1\r\n', 'body'],
      ['A: 1\n\r\nbody', 'A: 1\n', 'body'],
      ['\r\nbody', '', 'body'],
      ['\nbody', '', 'body'],
      ['A: 1\r\n B: folded\r\n\r\n\r\nbody', 'A: 1\r\n B: folded\r\n', '\r\nbody'],
    ];
    for (const [message, header, body] of cases) {
      const split = splitContent(b(message));
      assert.equal(split.header.toString('latin1'), header, JSON.stringify(message));
      assert.equal(split.body.toString('latin1'), body, JSON.stringify(message));
      assert.equal(split.hasSeparator, true);
    }
  });

  it('a message that never reaches an empty line is all header', () => {
    assert.deepEqual(splitContent(b('A: 1\r\nB: 2')), { header: b('A: 1\r\nB: 2'), body: b(''), hasSeparator: false });
    assert.deepEqual(splitContent(b('A: 1\r')), { header: b('A: 1\r'), body: b(''), hasSeparator: false });
    const endsInEmptyCr = splitContent(b('A: 1\r\n\r'));
    assert.equal(endsInEmptyCr.header.toString('latin1'), 'A: 1\r\n');
    assert.equal(endsInEmptyCr.hasSeparator, true);
  });

  it('splits lines at CRLF, bare CR and bare LF', () => {
    assert.deepEqual(
      parseHeader(b('A: 1\rB: 2\nC: 3\r\nD: 4')).map((f) => f.raw.toString()),
      ['A: 1\r\n', 'B: 2\r\n', 'C: 3\r\n', 'D: 4\r\n'],
    );
    assert.deepEqual(
      parseHeader(b('A: 1\r\r\n')).map((f) => f.raw.toString()),
      ['A: 1\r\n', '\r\n'],
    );
  });

  it('finds the same end when the content arrives in chunks of any size', () => {
    const rand = seededRandom(7);
    const alphabet = ['\r', '\n', '\r\n', 'A', ': ', 'x', ' '];
    for (let n = 0; n < 3000; n++) {
      const parts: string[] = [];
      for (let i = 0; i < 1 + Math.floor(rand() * 30); i++) parts.push(alphabet[Math.floor(rand() * alphabet.length)]!);
      const message = b(parts.join('') + 'tail');
      const whole = splitContent(message);
      const boundary = new HeaderBoundary();
      let at = 0;
      let bodyStart = -1;
      while (at < message.length && bodyStart < 0) {
        const size = 1 + Math.floor(rand() * 4);
        const chunk = message.subarray(at, at + size);
        const found = boundary.feed(chunk);
        if (found >= 0) bodyStart = at + found;
        at += chunk.length;
      }
      if (bodyStart < 0) {
        assert.equal(whole.hasSeparator, boundary.finish(), JSON.stringify(message.toString('latin1')));
        continue;
      }
      assert.ok(whole.hasSeparator, JSON.stringify(message.toString('latin1')));
      assert.equal(withoutEmptyLine(message.subarray(0, bodyStart)).toString('latin1'), whole.header.toString('latin1'));
      assert.equal(message.subarray(bodyStart).toString('latin1'), whole.body.toString('latin1'));
    }
  });
});
