import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderScanner } from './header-scan.js';

function scan(text: string, max = 1000, step = 3): HeaderScanner {
  const h = new HeaderScanner({ maxHeaderOctets: max });
  const b = Buffer.from(text, 'latin1');
  for (let i = 0; i < b.length; i += step) h.feed(b.subarray(i, i + step));
  return h;
}

test('header size and Received fields, in any chunking', () => {
  const text = 'Received: from a\r\n\tby b\r\nRECEIVED: x\r\nSubject: Received: no\r\n\r\nReceived: body\r\n';
  for (const step of [1, 2, 5, 100]) {
    const h = scan(text, 1000, step);
    assert.equal(h.ended, true);
    assert.equal(h.receivedFields, 2);
    assert.equal(h.headerOctets, text.indexOf('\r\n\r\n') + 2);
    assert.equal(h.exceeded, false);
  }
});

test('bare LF ends the header too; content starting with an empty line has no header', () => {
  assert.equal(scan('A: b\n\nbody').headerOctets, 5);
  const none = scan('\r\nReceived: x\r\n');
  assert.equal(none.ended, true);
  assert.equal(none.headerOctets, 0);
  assert.equal(none.receivedFields, 0);
});

test('MaxHeaderSize: exceeded, and scanning stops', () => {
  const h = scan(`X: ${'a'.repeat(5000)}\r\n\r\n`, 100);
  assert.equal(h.exceeded, true);
  assert.equal(h.headerOctets, 101);
  assert.equal(scan(`X: ${'a'.repeat(93)}\r\n\r\n`, 100).exceeded, false); // exactly 100
});

test('hop count', () => {
  const h = scan('Received: a\r\n'.repeat(31) + '\r\n', 10000);
  assert.equal(h.receivedFields, 31);
  assert.ok(h.hopCountExceeded(30));
  assert.ok(!h.hopCountExceeded(31));
});

test('a CR at line start that is not followed by LF is content', () => {
  const h = scan('A: b\r\n\rReceived: c\r\n\r\n');
  assert.equal(h.receivedFields, 0);
  assert.equal(h.ended, true);
});
