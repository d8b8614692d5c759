import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpInputReader, type InputEvent } from './reader.js';

function drain(r: SmtpInputReader): InputEvent[] {
  const out: InputEvent[] = [];
  for (let e = r.next(); e; e = r.next()) out.push(e);
  return out;
}

/** Feeds `input` after a DATA command and returns the content and the end event. */
function data(input: string | Buffer, chunk = 7): { content: string; end: InputEvent | undefined; after: InputEvent[] } {
  const r = new SmtpInputReader({ chunkOctets: 16 });
  r.expectData();
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const parts: Buffer[] = [];
  let end: InputEvent | undefined;
  const after: InputEvent[] = [];
  for (let i = 0; i < buf.length; i += chunk) {
    r.push(buf.subarray(i, i + chunk));
    for (const e of drain(r)) {
      if (e.type === 'data') {
        assert.equal(end, undefined, 'no content after data-end');
        parts.push(Buffer.from(e.chunk));
      } else if (e.type === 'data-end') end = e;
      else after.push(e);
    }
  }
  return { content: Buffer.concat(parts).toString('latin1'), end, after };
}

test('lines: CRLF, bare LF counted, split across pushes', () => {
  const r = new SmtpInputReader();
  r.push(Buffer.from('EHLO a\r\nNO'));
  r.push(Buffer.from('OP\nQUIT\r'));
  assert.deepEqual(drain(r), [
    { type: 'line', text: 'EHLO a', bareLf: false },
    { type: 'line', text: 'NOOP', bareLf: true },
  ]);
  assert.equal(r.bufferedBytes(), 5);
  r.push(Buffer.from('\n'));
  assert.deepEqual(drain(r), [{ type: 'line', text: 'QUIT', bareLf: false }]);
  assert.equal(r.bareLfLines(), 1);
  assert.equal(r.bufferedBytes(), 0);
});

test('512 octets including CRLF is the default limit (RFC 5321 §4.5.3.1.4)', () => {
  const r = new SmtpInputReader();
  r.push(Buffer.from(`${'a'.repeat(510)}\r\n${'b'.repeat(511)}\r\nNOOP\r\n`));
  const events = drain(r);
  assert.equal(events.length, 3);
  assert.equal(events[0]!.type, 'line');
  assert.deepEqual(events[1], { type: 'line-too-long', octets: 513 });
  assert.deepEqual(events[2], { type: 'line', text: 'NOOP', bareLf: false });
});

test('an oversized line is dropped as it arrives (bounded memory)', () => {
  const r = new SmtpInputReader();
  let max = 0;
  for (let i = 0; i < 16; i++) {
    r.push(Buffer.alloc(65536, 0x41)); // 1 MiB without LF
    assert.deepEqual(drain(r), []);
    max = Math.max(max, r.bufferedBytes());
  }
  assert.ok(max <= 512, `buffered ${max}`);
  r.push(Buffer.from('\r\nQUIT\r\n'));
  assert.deepEqual(drain(r), [
    { type: 'line-too-long', octets: 16 * 65536 + 2 },
    { type: 'line', text: 'QUIT', bareLf: false },
  ]);
});

test('expectLine can raise the limit for one exchange', () => {
  const r = new SmtpInputReader();
  r.expectLine(12288);
  r.push(Buffer.from(`${'x'.repeat(4000)}\r\n`));
  assert.equal((r.next() as { text: string }).text.length, 4000);
});

test('DATA: dot-unstuffing and CRLF.CRLF end; following bytes stay for line mode', () => {
  const { content, end, after } = data('Subject: a\r\n\r\n..leading dot\r\n.x\r\nend\r\n.\r\nQUIT\r\n');
  assert.equal(content, 'Subject: a\r\n\r\n.leading dot\r\nx\r\nend\r\n');
  assert.deepEqual(end, { type: 'data-end', bareLf: false, bareCr: false, smugglingSuspect: false, octets: content.length });
  assert.deepEqual(after, [{ type: 'line', text: 'QUIT', bareLf: false }]);
});

test('DATA: ".\\r\\n" straight after 354 is an empty message', () => {
  const { content, end } = data('.\r\n');
  assert.equal(content, '');
  assert.deepEqual(end, { type: 'data-end', bareLf: false, bareCr: false, smugglingSuspect: false, octets: 0 });
});

for (const [name, seq] of [
  ['\\n.\\n', '\n.\n'],
  ['\\r.\\r', '\r.\r'],
  ['\\n.\\r\\n', '\n.\r\n'],
  ['\\r\\n.\\n', '\r\n.\n'],
  ['\\r.\\r\\n', '\r.\r\n'],
  ['\\r\\n.\\r', '\r\n.\rX'],
  ['\\n.\\r', '\n.\rX'],
] as const) {
  test(`DATA: ${name} does not end DATA and is flagged`, () => {
    const { content, end } = data(`a${seq}MAIL FROM:<x@y>\r\n.\r\n`);
    assert.ok(end && end.type === 'data-end');
    assert.equal(end.smugglingSuspect, true);
    assert.ok(content.includes('MAIL FROM:<x@y>'), 'the smuggled command stays content');
  });
}

test('DATA: bare LF and bare CR are reported, not fatal', () => {
  const lf = data('a\nb\r\n.\r\n');
  assert.equal(lf.content, 'a\nb\r\n');
  assert.ok(lf.end?.type === 'data-end' && lf.end.bareLf && !lf.end.bareCr && !lf.end.smugglingSuspect);
  const cr = data('a\rb\r\n.\r\n');
  assert.equal(cr.content, 'a\rb\r\n');
  assert.ok(cr.end?.type === 'data-end' && cr.end.bareCr && !cr.end.bareLf);
});

test('DATA: every split point gives the same result', () => {
  const input = 'x\r\n..y\r\n\r\n.\r.\n\r\n.\r\nNOOP\r\n';
  const whole = data(input, input.length);
  for (let c = 1; c < 6; c++) assert.deepEqual(data(input, c), whole);
});

test('DATA: NUL and 8-bit bytes are content', () => {
  const { content, end } = data(Buffer.from([0x61, 0, 0xff, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a]));
  assert.equal(content, 'a\0\xff\r\n');
  assert.equal(end?.type, 'data-end');
});

test('DATA: 100 MB in 64 KiB pushes stays bounded; chunks at most chunkOctets', () => {
  const r = new SmtpInputReader();
  r.expectData();
  const block = Buffer.alloc(65536, 0x61);
  for (let i = 0; i < block.length; i += 80) block.write('\r\n', i, 'latin1');
  let octets = 0;
  let maxBuffered = 0;
  const pushes = Math.ceil((100 * 1024 * 1024) / block.length);
  for (let i = 0; i < pushes; i++) {
    r.push(block);
    for (let e = r.next(); e; e = r.next()) {
      assert.equal(e.type, 'data');
      if (e.type === 'data') {
        assert.ok(e.chunk.length <= 65536);
        octets += e.chunk.length;
      }
      maxBuffered = Math.max(maxBuffered, r.bufferedBytes());
    }
    assert.ok(r.bufferedBytes() <= 4, `after drain ${r.bufferedBytes()}`);
  }
  assert.ok(maxBuffered <= 2 * 65536, `max buffered ${maxBuffered}`);
  r.push(Buffer.from('\r\n.\r\n'));
  const rest = drain(r);
  const end = rest.at(-1);
  assert.ok(end?.type === 'data-end');
  octets += rest.filter((e) => e.type === 'data').reduce((n, e) => n + (e.type === 'data' ? e.chunk.length : 0), 0);
  assert.equal(end.octets, octets);
  assert.equal(octets, pushes * block.length + 2);
});

test('BDAT: exactly size octets, binary-safe, then line mode', () => {
  const r = new SmtpInputReader({ chunkOctets: 16 });
  r.expectBdat(40);
  const body = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37) % 256));
  r.push(Buffer.concat([body.subarray(0, 10)]));
  r.push(Buffer.concat([body.subarray(10), Buffer.from('\r\n.\r\nQUIT\r\n')]));
  const events = drain(r);
  const chunks = events.filter((e) => e.type === 'bdat').map((e) => (e.type === 'bdat' ? e.chunk : Buffer.alloc(0)));
  assert.deepEqual(Buffer.concat(chunks), body);
  assert.ok(chunks.every((c) => c.length <= 16));
  const endAt = events.findIndex((e) => e.type === 'bdat-end');
  assert.deepEqual(events.slice(endAt), [
    { type: 'bdat-end', octets: 40 },
    { type: 'line', text: '', bareLf: false },
    { type: 'line', text: '.', bareLf: false },
    { type: 'line', text: 'QUIT', bareLf: false },
  ]);
});

test('BDAT 0 ends at once; invalid sizes are refused', () => {
  const r = new SmtpInputReader();
  r.expectBdat(0);
  assert.deepEqual(r.next(), { type: 'bdat-end', octets: 0 });
  assert.equal(r.next(), undefined);
  assert.throws(() => r.expectBdat(-1), RangeError);
  assert.throws(() => r.expectBdat(2 ** 60), RangeError);
  assert.throws(() => r.expectBdat(Number.NaN), RangeError);
});

test('pipelined STARTTLS: discardBuffered drops what followed', () => {
  const r = new SmtpInputReader();
  r.push(Buffer.from('STARTTLS\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n'));
  assert.deepEqual(r.next(), { type: 'line', text: 'STARTTLS', bareLf: false });
  assert.equal(r.discardBuffered(), 32);
  assert.equal(r.next(), undefined);
  assert.equal(r.bufferedBytes(), 0);
});

test('early talker: bytes are visible before anything is framed', () => {
  const r = new SmtpInputReader();
  r.push(Buffer.from('EHLO x\r\n'));
  assert.equal(r.bufferedBytes(), 8);
});

test('10,000 pipelined RCPT lines in 64 KiB pushes', () => {
  const r = new SmtpInputReader();
  const all = Buffer.from(Array.from({ length: 10000 }, (_, i) => `RCPT TO:<user${i}@contoso.com>\r\n`).join(''));
  let lines = 0;
  for (let i = 0; i < all.length; i += 65536) {
    r.push(all.subarray(i, i + 65536));
    for (let e = r.next(); e; e = r.next()) {
      assert.equal(e.type, 'line');
      lines++;
    }
    assert.ok(r.bufferedBytes() <= 512);
  }
  assert.equal(lines, 10000);
});

test('DATA content of any size: byte-exact, unstuffed, in chunks of at most chunkOctets (64 KiB) while the buffer grows', () => {
  const lines: string[] = [];
  for (let i = 0; lines.join('').length < 300 * 1024; i++) lines.push(i % 7 === 0 ? `.dot line ${i}\r\n` : `${'x'.repeat(i % 120)} ${i}\r\n`);
  const wire = Buffer.from(lines.join('') + '.\r\n', 'latin1');
  const expected = lines.map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('');
  for (const piece of [1500, 65536, 200_000]) {
    const r = new SmtpInputReader();
    r.expectData();
    const parts: Buffer[] = [];
    let ended = false;
    for (let i = 0; i < wire.length; i += piece) {
      r.push(wire.subarray(i, i + piece));
      // Each chunk is copied before the next call: the reader reuses its buffer.
      for (let e = r.next(); e; e = r.next()) {
        if (e.type === 'data') {
          assert.ok(e.chunk.length <= 64 * 1024, `a chunk of ${e.chunk.length} octets`);
          parts.push(Buffer.from(e.chunk));
        } else if (e.type === 'data-end') ended = true;
      }
    }
    assert.equal(ended, true);
    assert.equal(Buffer.concat(parts).toString('latin1'), expected, `pushed in pieces of ${piece}`);
  }
});
