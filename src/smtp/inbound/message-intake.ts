// The content of one message as it streams in (DATA or BDAT chunks, after
// dot-unstuffing): the header section is collected in memory, bounded by
// MaxHeaderSize; the body stays in memory up to a fixed amount and beyond it
// goes to a spool file (queue/spool.ts) as it arrives. So a session's memory
// does not depend on the size of the message it receives.
//
// It also measures what the session decides on at the end of the content: the
// octets against MaxMessageSize (past it, everything is dropped), the header
// against MaxHeaderSize, and whether a bare LF occurred (the connector's
// BareLinefeedRejectionEnabled applies to DATA and BDAT alike).
//
// Backpressure: write() returns false while the spool file has more than its
// high-water mark queued; the session then waits for drained() before reading
// on.

import { SpoolFile } from '../../queue/spool.js';
import { HeaderBoundary, withoutEmptyLine } from '../header-section.js';

const CR = 0x0d;
const LF = 0x0a;

/** Body octets kept in memory before the body goes to a spool file. */
export const MEMORY_BODY_OCTETS = 128 * 1024;

export interface IntakeLimits {
  /** Connector MaxMessageSize in octets; null when the session may bypass it. */
  maxMessageSize: number | null;
  /** Connector MaxHeaderSize in octets. */
  maxHeaderSize: number;
  /** Where body files go. */
  spoolDir: string;
  /** Body octets kept in memory before spilling (MEMORY_BODY_OCTETS). */
  memoryBodyOctets?: number;
  /**
   * Where to look for bare LFs: all the content (BDAT, the default), only the header (BDAT with
   * BODY=BINARYMIME: the body may hold any octet), or nowhere (DATA: the reader already reports them).
   */
  bareLfScan?: 'content' | 'header' | 'none';
}

/** The content once it is complete. */
export interface ReceivedContent {
  /** The header section as received, without the empty line. */
  header: Buffer;
  hasSeparator: boolean;
  /** The body in memory, or null when it is in `file`. */
  body: Buffer | null;
  /** The body's spool file (written, fsync'd and closed), for large messages. */
  file: SpoolFile | null;
  bodyOctets: number;
}

/** A buffer that grows by doubling, for content kept in memory. */
class Accumulator {
  private buf = Buffer.alloc(0);
  length = 0;

  append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.length + chunk.length, Math.min(this.buf.length * 2 || 4096, 1 << 30)));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.length += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).copy(this.buf, this.length);
  }

  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  release(): void {
    this.buf = Buffer.alloc(0);
    this.length = 0;
  }
}

export class MessageIntake {
  /** Content octets received so far (all of them, even once over a limit). */
  octets = 0;
  /** Over MaxMessageSize: the content is being dropped. */
  tooBig = false;
  /** The header section is over MaxHeaderSize: the content is being dropped. */
  headerTooBig = false;
  /** A LF not preceded by CR occurred (where bareLfScan looks). */
  bareLf = false;

  private readonly boundary = new HeaderBoundary();
  private readonly header = new Accumulator();
  private readonly body = new Accumulator();
  private bodyOctets = 0;
  private file: SpoolFile | null = null;
  private lastByte = -1;
  private readonly memoryBody: number;

  constructor(private readonly limits: IntakeLimits) {
    this.memoryBody = limits.memoryBodyOctets ?? MEMORY_BODY_OCTETS;
  }

  /**
   * Takes the next chunk (copied: the caller may reuse its buffer); false when the caller should
   * wait for drained() before reading more.
   */
  write(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    this.octets += chunk.length;
    if ((this.limits.bareLfScan ?? 'content') === 'content') this.scanLineEnds(chunk);
    if (this.dropping) return true;
    if (this.limits.maxMessageSize !== null && this.octets > this.limits.maxMessageSize) {
      this.tooBig = true;
      this.release();
      return true;
    }
    let rest = chunk;
    if (!this.boundary.ended) {
      const at = this.boundary.feed(chunk);
      const headerPart = at < 0 ? chunk : chunk.subarray(0, at);
      if (this.limits.bareLfScan === 'header') this.scanLineEnds(headerPart);
      if (this.header.length + headerPart.length > this.limits.maxHeaderSize + 2) {
        // (+2: the empty line's own CRLF is collected with the header and dropped at the end)
        this.headerTooBig = true;
        this.release();
        return true;
      }
      this.header.append(headerPart);
      if (at < 0) return true;
      rest = chunk.subarray(at);
    }
    return this.appendBody(rest);
  }

  /** Resolves when the spool file has caught up enough to take more. */
  drained(): Promise<void> {
    return this.file ? this.file.drained() : Promise.resolve();
  }

  /** The content is complete: the body file (if any) is written and fsync'd. Throws a spool error. */
  async finish(): Promise<ReceivedContent> {
    if (this.dropping) throw new Error('the content was dropped (over a size limit)');
    const endedInStream = this.boundary.ended;
    const emptyLineAtEnd = endedInStream ? false : this.boundary.finish();
    const section = this.header.view();
    const header = endedInStream ? withoutEmptyLine(section) : emptyLineAtEnd ? section.subarray(0, section.length - 1) : section;
    const separated = endedInStream || emptyLineAtEnd;
    if (this.file) {
      await this.file.finish();
      return { header, hasSeparator: true, body: null, file: this.file, bodyOctets: this.bodyOctets };
    }
    return { header, hasSeparator: separated, body: this.body.view(), file: null, bodyOctets: this.bodyOctets };
  }

  /** Drops the content (refused, aborted): memory released; resolves once the spool file is deleted. */
  discard(): Promise<void> {
    this.release();
    return this.dropped;
  }

  private get dropping(): boolean {
    return this.tooBig || this.headerTooBig;
  }

  private appendBody(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    this.bodyOctets += chunk.length;
    if (!this.file && this.body.length + chunk.length <= this.memoryBody) {
      this.body.append(chunk);
      return true;
    }
    if (!this.file) {
      this.file = new SpoolFile(this.limits.spoolDir);
      if (this.body.length > 0) this.file.write(this.body.view());
      this.body.release();
    }
    this.file.write(chunk);
    return this.file.pending < SpoolFile.HIGH_WATER;
  }

  private release(): void {
    this.header.release();
    this.body.release();
    const file = this.file;
    this.file = null;
    if (file) this.dropped = file.discard();
  }

  /** The deletion of a dropped spool file. */
  private dropped: Promise<void> = Promise.resolve();

  private scanLineEnds(chunk: Buffer): void {
    if (this.bareLf || chunk.length === 0) return;
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
      const previous = i > 0 ? chunk[i - 1] : this.lastByte;
      if (previous !== CR) {
        this.bareLf = true;
        break;
      }
    }
    this.lastByte = chunk[chunk.length - 1]!;
  }
}
