// Where a message's header section ends and how it splits into lines, by the
// one rule the whole server follows: CRLF, a bare CR and a bare LF each end a
// line (CRLF counts once), and the first empty line ends the header section.
//
// It is the rule of the next hop, not of RFC 5322 alone: our SMTP client, like
// most, turns a bare CR or a bare LF into CRLF on the wire, so a header line
// hidden behind a bare CR ("Subject: x\rX-MS-Exchange-Organization-AuthAs:
// Internal") is a header line of its own at the next hop. The header firewall
// therefore judges the lines split this way, and the header is stored with
// CRLF line ends, exactly as the next hop will receive it.
//
// HeaderBoundary finds the end as content streams by (chunks of any size, a
// CR at the end of one chunk and its LF at the start of the next); it keeps
// no content, only a few bytes of state.

const CR = 0x0d;
const LF = 0x0a;

export class HeaderBoundary {
  /** Octets of the header section so far (its lines with their line ends, without the empty line). */
  headerOctets = 0;
  /** The empty line has been seen; bodyStart is where the body began. */
  ended = false;
  private lineOctets = 0;
  private pendingCr = false;
  /** A CR ended an empty line: the end is known once the next byte says whether an LF belongs to it. */
  private emptyCrPending = false;

  /**
   * Feeds the next chunk; returns the offset in `chunk` where the body starts when the header
   * section ends within (or just before) this chunk, else -1. Once ended, feeding is not allowed.
   */
  feed(chunk: Uint8Array): number {
    if (this.ended) throw new Error('the header section has already ended');
    let i = 0;
    if (this.emptyCrPending && chunk.length > 0) {
      this.emptyCrPending = false;
      this.ended = true;
      return chunk[0] === LF ? 1 : 0;
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.pendingCr) {
        this.pendingCr = false;
        if (b === LF) {
          // CRLF: the CR already ended the line.
          this.headerOctets++;
          continue;
        }
      }
      if (b === CR || b === LF) {
        if (this.lineOctets === 0) {
          // An empty line: the header section ends here.
          if (b === LF) {
            this.ended = true;
            return i + 1;
          }
          if (i + 1 < chunk.length) {
            this.ended = true;
            return chunk[i + 1] === LF ? i + 2 : i + 1;
          }
          this.emptyCrPending = true;
          return -1;
        }
        this.headerOctets += this.lineOctets + 1;
        this.lineOctets = 0;
        this.pendingCr = b === CR;
        continue;
      }
      this.lineOctets++;
    }
    return -1;
  }

  /**
   * The content ended: a header that never reached an empty line ends with it. Returns whether
   * the content's last byte was a CR that ended an empty line (the header section did end).
   */
  finish(): boolean {
    if (this.ended) return false;
    const emptyLine = this.emptyCrPending;
    this.headerOctets += this.lineOctets;
    this.lineOctets = 0;
    this.emptyCrPending = false;
    this.ended = true;
    return emptyLine;
  }

  /** Octets held in the header section so far, counting the line being read. */
  get octetsSoFar(): number {
    return this.headerOctets + this.lineOctets;
  }
}

/** The header section and body of a whole message, split by the rule above. */
export interface SplitContent {
  /** The header section as received (its line ends as they were), without the empty line. */
  header: Buffer;
  /** The body, after the empty line's line end. */
  body: Buffer;
  /** Whether an empty line separated them. */
  hasSeparator: boolean;
}

export function splitContent(message: Buffer): SplitContent {
  const boundary = new HeaderBoundary();
  const at = boundary.feed(message);
  if (at >= 0) return { header: withoutEmptyLine(message.subarray(0, at)), body: message.subarray(at), hasSeparator: true };
  const emptyLine = boundary.finish();
  return { header: emptyLine ? message.subarray(0, message.length - 1) : message, body: message.subarray(message.length), hasSeparator: emptyLine };
}

/** A header section read up to the body (HeaderBoundary's offset), without the empty line's line end. */
export function withoutEmptyLine(section: Buffer): Buffer {
  const n = section.length;
  if (n >= 2 && section[n - 2] === CR && section[n - 1] === LF) return section.subarray(0, n - 2);
  return section.subarray(0, Math.max(0, n - 1));
}
