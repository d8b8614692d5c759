// The part of mailsplit's API Gatehouse uses (the package ships no types).
declare module 'mailsplit' {
  import { Transform } from 'node:stream';

  export interface MailsplitHeaders {
    get(key: string): string[];
    getFirst(key: string): string;
    hasHeader(key: string): boolean;
    add(key: string, value: string, index?: number): void;
    update(key: string, value: string, relativeKeyIndex?: number): void;
    remove(key: string): void;
  }

  export interface MailsplitNode {
    type: 'node';
    root: boolean;
    contentType: string | false;
    disposition: 'attachment' | 'inline' | false;
    multipart: string | false;
    filename: string | false;
    headers: MailsplitHeaders;
    getHeaders(): Buffer;
    setContentType(contentType: string): void;
    setCharset(charset: string): void;
    setFilename(filename: string): void;
  }

  export type MailsplitChunk = MailsplitNode | { type: 'data' | 'body'; value: Buffer };

  export class Splitter extends Transform {
    constructor(options?: { ignoreEmbedded?: boolean; maxHeadSize?: number });
  }

  export class Joiner extends Transform {
    constructor();
  }
}
