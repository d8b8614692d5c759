// Byte framing of the SMTP input stream: command lines, DATA content, BDAT chunks.
//
// Push bytes in (push), pull events out (next). Input is framed lazily, in
// next(), so a mode switch (expectData / expectBdat / expectLine) made after
// an event applies to every byte that follows it, including bytes that were
// pipelined in the same packet (RFC 2920).
//
// Invariants:
// - memory is bounded: a command line holds at most maxLineOctets; the rest of
//   an oversized line is dropped as it arrives and reported once, when its LF
//   comes, as 'line-too-long'; DATA and BDAT content is handed out in chunks of
//   at most chunkOctets; only bytes pushed and not yet framed are kept;
// - a 'data' or 'bdat' chunk is a view, valid until the next call to next():
//   DATA content lives in the reader's one output buffer, which is reused (no
//   allocation per chunk), BDAT content in the pushed bytes; a consumer copies
//   what it keeps;
// - command lines end at LF; CRLF is the norm, a bare LF is accepted and
//   counted (event field bareLf, bareLfLines());
// - command lines are limited to 512 octets including CRLF by default
//   (RFC 5321 §4.5.3.1.4), configurable (AUTH responses: RFC 4954 §4 allows
//   12288);
// - only CRLF "." CRLF ends DATA (RFC 5321 §4.1.1.4); the CRLF that ended the
//   DATA command counts as the first CRLF, so ".\r\n" at once is an empty
//   message. A lone "." delimited on either side by a bare CR or bare LF
//   ("\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", ...) never ends DATA: it stays in
//   the content and sets smugglingSuspect, so the runtime can refuse the
//   message;
// - dot-unstuffing (RFC 5321 §4.5.2) removes the first "." of a line that
//   starts after a CRLF; lines after a bare CR/LF are left as they are;
// - after 'data-end' and 'bdat-end' the reader is back in line mode;
// - BDAT content is exactly `size` octets, binary-safe (RFC 3030 §2).

export type InputEvent =
  | { readonly type: 'line'; readonly text: string; readonly bareLf: boolean }
  | { readonly type: 'line-too-long'; readonly octets: number }
  | { readonly type: 'data'; readonly chunk: Buffer }
  | {
      readonly type: 'data-end';
      readonly bareLf: boolean;
      readonly bareCr: boolean;
      readonly smugglingSuspect: boolean;
      /** Message octets after dot-unstuffing. */
      readonly octets: number;
    }
  | { readonly type: 'bdat'; readonly chunk: Buffer }
  | { readonly type: 'bdat-end'; readonly octets: number };

export interface ReaderOptions {
  /** Longest command line, including CRLF. Default 512 (RFC 5321 §4.5.3.1.4). */
  readonly maxLineOctets?: number;
  /** Largest data/bdat chunk handed out. Default 64 KiB. */
  readonly chunkOctets?: number;
}

export const DEFAULT_MAX_LINE_OCTETS = 512;
export const DEFAULT_CHUNK_OCTETS = 64 * 1024;
/** The content buffer's first size (it grows by doubling up to chunkOctets). */
const OUT_FIRST_OCTETS = 4096;

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** Where the DATA scanner stands; pending bytes are implied by the state. */
const enum D {
  Text, // inside a line
  Cr, // saw CR, pending
  LineStart, // after CRLF (or at the start of the content)
  LooseStart, // after a bare CR or bare LF
  Dot, // LineStart + "." (pending: may be stuffing or terminator)
  DotCr, // LineStart + "." CR (pending both)
  LooseDot, // LooseStart + "." (dot already written)
  LooseDotCr, // LooseStart + "." CR (CR pending)
}

type Mode = 'line' | 'data' | 'bdat';

export class SmtpInputReader {
  private readonly maxLine: number;
  private readonly chunkOctets: number;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private mode: Mode = 'line';
  private lineLimit: number;

  // line mode
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  private discarding = false;
  private discardedOctets = 0;
  private bareLfCount = 0;

  // data mode
  private dState: D = D.LineStart;
  /**
   * Content being unstuffed. Allocated at the first DATA and grown by doubling from OUT_FIRST_OCTETS
   * up to chunkOctets: a 64 KiB buffer per session from the start cost every session 64 KiB of
   * memory outside V8's heap, most of it never used, and garbage at the end of each session
   * (a 2 KiB relay at c=10 held 150 MB of them between collections).
   */
  private out: Buffer = Buffer.alloc(0);
  private outLen = 0;
  private dataOctets = 0;
  private bareLf = false;
  private bareCr = false;
  private smuggling = false;
  private dataEnded = false;

  // bdat mode
  private bdatRemaining = 0;
  private bdatSize = 0;
  private bdatEndPending = false;

  constructor(options: ReaderOptions = {}) {
    this.maxLine = options.maxLineOctets ?? DEFAULT_MAX_LINE_OCTETS;
    this.chunkOctets = options.chunkOctets ?? DEFAULT_CHUNK_OCTETS;
    if (!(this.maxLine >= 3)) throw new RangeError('maxLineOctets must be at least 3');
    if (!(this.chunkOctets >= 16)) throw new RangeError('chunkOctets must be at least 16');
    this.lineLimit = this.maxLine;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
  }

  /** Bytes held: pushed but not yet framed, plus a partial line or pending content. */
  bufferedBytes(): number {
    return this.queuedBytes + this.lineBytes + this.outLen;
  }

  /** Drops every byte pushed but not yet framed (e.g. pipelined after STARTTLS, RFC 3207 §4.2). Returns how many. */
  discardBuffered(): number {
    const n = this.queuedBytes + this.lineBytes;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.lineParts = [];
    this.lineBytes = 0;
    this.discarding = false;
    this.discardedOctets = 0;
    return n;
  }

  /** Command lines so far that ended with a bare LF. */
  bareLfLines(): number {
    return this.bareLfCount;
  }

  currentMode(): Mode {
    return this.mode;
  }

  /** Switches to command lines; maxLineOctets overrides the limit until the next call (e.g. AUTH responses). */
  expectLine(maxLineOctets?: number): void {
    this.mode = 'line';
    this.lineLimit = maxLineOctets ?? this.maxLine;
  }

  /** Switches to DATA content, after the 354 reply. */
  expectData(): void {
    this.resetLine();
    this.mode = 'data';
    this.dState = D.LineStart;
    this.outLen = 0;
    this.dataOctets = 0;
    this.bareLf = this.bareCr = this.smuggling = false;
    this.dataEnded = false;
  }

  /** Switches to a BDAT chunk of exactly `size` octets. */
  expectBdat(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid BDAT size ${size}`);
    this.resetLine();
    this.mode = 'bdat';
    this.bdatRemaining = size;
    this.bdatSize = size;
    this.bdatEndPending = true;
  }

  next(): InputEvent | undefined {
    switch (this.mode) {
      case 'line':
        return this.nextLine();
      case 'data':
        return this.nextData();
      case 'bdat':
        return this.nextBdat();
    }
  }

  // ---- input queue ----

  private take(n: number): Buffer {
    const head = this.queue[0]!;
    if (n >= head.length) {
      this.queue.shift();
      this.queuedBytes -= head.length;
      return head;
    }
    this.queue[0] = head.subarray(n);
    this.queuedBytes -= n;
    return head.subarray(0, n);
  }

  private resetLine(): void {
    this.lineParts = [];
    this.lineBytes = 0;
    this.discarding = false;
    this.discardedOctets = 0;
  }

  // ---- line mode ----

  private nextLine(): InputEvent | undefined {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const lf = head.indexOf(LF);
      const piece = this.take(lf < 0 ? head.length : lf + 1);
      const complete = lf >= 0;
      if (this.discarding) {
        this.discardedOctets += piece.length;
      } else if (this.lineBytes + piece.length > this.lineLimit) {
        // Over the limit: drop what we hold and everything up to the LF.
        this.discarding = true;
        this.discardedOctets = this.lineBytes + piece.length;
        this.lineParts = [];
        this.lineBytes = 0;
      } else {
        // A partial line is copied so it does not keep the caller's whole chunk alive.
        this.lineParts.push(complete ? piece : Buffer.from(piece));
        this.lineBytes += piece.length;
      }
      if (!complete) continue;
      if (this.discarding) {
        const octets = this.discardedOctets;
        this.resetLine();
        return { type: 'line-too-long', octets };
      }
      const raw = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts, this.lineBytes);
      this.resetLine();
      const crlf = raw.length >= 2 && raw[raw.length - 2] === CR;
      if (!crlf) this.bareLfCount++;
      const text = raw.toString('utf8', 0, raw.length - (crlf ? 2 : 1));
      return { type: 'line', text, bareLf: !crlf };
    }
    return undefined;
  }

  // ---- BDAT mode ----

  private nextBdat(): InputEvent | undefined {
    if (this.bdatRemaining === 0) {
      if (!this.bdatEndPending) return undefined;
      this.bdatEndPending = false;
      this.mode = 'line';
      this.lineLimit = this.maxLine;
      return { type: 'bdat-end', octets: this.bdatSize };
    }
    if (this.queue.length === 0) return undefined;
    const n = Math.min(this.bdatRemaining, this.chunkOctets, this.queue[0]!.length);
    const piece = this.take(n);
    this.bdatRemaining -= n;
    return { type: 'bdat', chunk: piece };
  }

  // ---- DATA mode ----

  private emitByte(b: number): void {
    this.out[this.outLen++] = b;
    this.dataOctets++;
  }

  /** Room for 3 more bytes of content, growing the buffer up to chunkOctets; false when it is full (flush it). */
  private roomForThree(): boolean {
    if (this.outLen + 3 <= this.out.length) return true;
    if (this.out.length >= this.chunkOctets) return false;
    const grown = Buffer.allocUnsafe(Math.min(this.chunkOctets, Math.max(OUT_FIRST_OCTETS, this.out.length * 2)));
    this.out.copy(grown, 0, 0, this.outLen);
    this.out = grown;
    return true;
  }

  /** The content written so far: a view of the reader's own buffer, which the next call to next() reuses. */
  private flushOut(): Buffer {
    const chunk = this.out.subarray(0, this.outLen);
    this.outLen = 0;
    return chunk;
  }

  private nextData(): InputEvent | undefined {
    if (this.dataEnded) {
      if (this.outLen > 0) return { type: 'data', chunk: this.flushOut() };
      this.mode = 'line';
      this.lineLimit = this.maxLine;
      this.dataEnded = false;
      return {
        type: 'data-end',
        bareLf: this.bareLf,
        bareCr: this.bareCr,
        smugglingSuspect: this.smuggling,
        octets: this.dataOctets,
      };
    }
    // Up to 3 bytes may be written per input byte (pending dot + CR + byte).
    while (this.queue.length > 0 && !this.dataEnded) {
      if (!this.roomForThree()) return { type: 'data', chunk: this.flushOut() };
      const head = this.queue[0]!;
      let i = 0;
      while (i < head.length && !this.dataEnded && this.roomForThree()) {
        if (this.dState === D.Text) {
          // Fast path: copy up to the next CR or LF.
          let stop = head.indexOf(LF, i);
          const cr = head.indexOf(CR, i);
          if (stop < 0 || (cr >= 0 && cr < stop)) stop = cr;
          const end = Math.min(stop < 0 ? head.length : stop, i + (this.out.length - 3 - this.outLen));
          if (end > i) {
            head.copy(this.out, this.outLen, i, end);
            this.outLen += end - i;
            this.dataOctets += end - i;
            i = end;
            continue;
          }
        }
        this.step(head[i]!);
        i++;
      }
      this.take(i);
    }
    if (this.dataEnded) return this.nextData();
    if (this.outLen > 0) return { type: 'data', chunk: this.flushOut() };
    return undefined;
  }

  /** One byte through the DATA state machine (see the D states). */
  private step(b: number): void {
    switch (this.dState) {
      case D.Text:
        return this.text(b);
      case D.Cr:
        if (b === LF) {
          this.emitByte(CR);
          this.emitByte(LF);
          this.dState = D.LineStart;
        } else {
          this.emitByte(CR);
          this.bareCr = true;
          this.loose(b);
        }
        return;
      case D.LineStart:
        if (b === DOT) this.dState = D.Dot;
        else this.text(b);
        return;
      case D.LooseStart:
        return this.loose(b);
      case D.Dot:
        if (b === CR) this.dState = D.DotCr;
        else if (b === LF) {
          // CRLF "." LF
          this.smuggling = true;
          this.emitByte(DOT);
          this.text(b);
        } else {
          this.text(b); // the stuffing dot is dropped
        }
        return;
      case D.DotCr:
        if (b === LF) {
          this.dataEnded = true;
          this.dState = D.LineStart;
        } else {
          // CRLF "." CR <not LF>
          this.smuggling = true;
          this.emitByte(DOT);
          this.emitByte(CR);
          this.bareCr = true;
          this.loose(b);
        }
        return;
      case D.LooseDot:
        if (b === CR) this.dState = D.LooseDotCr;
        else {
          if (b === LF) this.smuggling = true; // bare CR/LF "." LF
          this.text(b);
        }
        return;
      case D.LooseDotCr:
        // bare CR/LF "." CR ...: a lone dot whatever follows
        this.smuggling = true;
        if (b === LF) {
          this.emitByte(CR);
          this.emitByte(LF);
          this.dState = D.LineStart;
        } else {
          this.emitByte(CR);
          this.bareCr = true;
          this.loose(b);
        }
        return;
    }
  }

  private text(b: number): void {
    if (b === CR) this.dState = D.Cr;
    else if (b === LF) {
      this.emitByte(LF);
      this.bareLf = true;
      this.dState = D.LooseStart;
    } else {
      this.emitByte(b);
      this.dState = D.Text;
    }
  }

  private loose(b: number): void {
    if (b === DOT) {
      this.emitByte(DOT);
      this.dState = D.LooseDot;
    } else this.text(b);
  }
}
