// Measures the header section of incoming message content as it streams by:
// its size (connector MaxHeaderSize -> 552 5.3.4 Header size exceeds fixed
// maximum size) and its Received fields (MaxHopCount -> 554 5.4.6 Hop count
// exceeded - possible mail loop; RFC 5321 §6.3 loop detection).
//
// Feed it the unstuffed content (DATA 'data' chunks or BDAT chunks) in order.
// Invariants:
// - the header section ends at the first empty line (RFC 5322 §2.1), CRLF or
//   bare LF; content that starts with an empty line has no header;
// - headerOctets counts the header lines with their line ends, not the empty
//   line; a Received field is a line (not a continuation) whose name is
//   "Received" in any case (RFC 5322 §3.6.7);
// - memory is constant: no content is kept; scanning stops once the header
//   has ended or passed maxHeaderOctets.

export interface HeaderScanOptions {
  /** Connector MaxHeaderSize in octets. */
  readonly maxHeaderOctets: number;
}

const CR = 0x0d;
const LF = 0x0a;
const RECEIVED = 'received:';

export class HeaderScanner {
  /** Octets of header lines seen so far. */
  headerOctets = 0;
  /** Received fields seen so far. */
  receivedFields = 0;
  /** The empty line ending the header section has been seen. */
  ended = false;
  /** The header section is larger than maxHeaderOctets. */
  exceeded = false;

  private atLineStart = true;
  private crAtLineStart = false;
  private prefix = '';

  constructor(private readonly options: HeaderScanOptions) {}

  feed(chunk: Buffer): void {
    for (let i = 0; i < chunk.length && !this.ended && !this.exceeded; i++) this.step(chunk[i]!);
  }

  /** True when more Received fields than maxHopCount were seen (connector MaxHopCount). */
  hopCountExceeded(maxHopCount: number): boolean {
    return this.receivedFields > maxHopCount;
  }

  private step(b: number): void {
    if (this.crAtLineStart) {
      this.crAtLineStart = false;
      if (b === LF) {
        this.ended = true;
        return;
      }
      this.content(CR);
    } else if (this.atLineStart && b === CR) {
      this.crAtLineStart = true;
      return;
    } else if (this.atLineStart && b === LF) {
      this.ended = true;
      return;
    }
    this.content(b);
  }

  private content(b: number): void {
    this.headerOctets++;
    if (this.headerOctets > this.options.maxHeaderOctets) {
      this.exceeded = true;
      return;
    }
    if (b === LF) {
      this.atLineStart = true;
      this.prefix = '';
      return;
    }
    if (this.atLineStart) this.prefix = '';
    this.atLineStart = false;
    if (this.prefix.length < RECEIVED.length) {
      this.prefix += String.fromCharCode(b).toLowerCase();
      if (this.prefix === RECEIVED) this.receivedFields++;
    }
  }
}
