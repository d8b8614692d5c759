// The Attachment Filtering agent's Strip action: each attachment an entry
// matches, also inside attached messages (to a depth of 3), is replaced by a
// text file that says why (AttachmentFilterListConfig AdminMessage), named
// after it with ".txt" added, and the message goes on. The message is split
// into its MIME parts and joined again with mailsplit, so every part that is
// not replaced stays byte for byte as it came.

import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter, type MailsplitChunk, type MailsplitNode } from 'mailsplit';
import { ruleMatching, type AttachmentRule } from './attachment-filter.js';

export interface Stripped {
  message: Buffer;
  /** What was removed: "FileName:*.exe matched tool.exe", one per attachment. */
  removed: string[];
}

/** Attached messages are opened to this depth, as the filter's check does. */
const MAX_DEPTH = 3;

/** The message with every matching attachment replaced by adminMessage. */
export async function stripAttachments(message: Buffer, rules: AttachmentRule[], adminMessage: string, depth = 0): Promise<Stripped> {
  const removed: string[] = [];
  const text = Buffer.from(adminMessage.replace(/\r?\n/g, '\r\n') + '\r\n', 'utf8');
  /** The current leaf: its body is passed on, dropped (replaced) or held (an attached message, opened when it ends). */
  let mode: 'pass' | 'drop' | 'hold' = 'pass';
  let held: Buffer[] = [];
  const release = async (push: (c: MailsplitChunk) => void) => {
    if (mode !== 'hold') return;
    const inner = Buffer.concat(held);
    held = [];
    const done = await stripAttachments(inner, rules, adminMessage, depth + 1);
    for (const r of done.removed) removed.push(`${r} (in an attached message)`);
    push({ type: 'body', value: done.removed.length > 0 ? done.message : inner });
  };
  const replace = new Transform({
    objectMode: true,
    transform(chunk: MailsplitChunk, _encoding: BufferEncoding, callback: TransformCallback) {
      const push = (c: MailsplitChunk) => {
        this.push(c);
      };
      void (async () => {
        if (chunk.type === 'body') {
          if (mode === 'pass') push(chunk);
          else if (mode === 'hold') held.push(chunk.value);
          return;
        }
        await release(push);
        mode = 'pass';
        if (chunk.type === 'node' && !chunk.multipart && !chunk.root) {
          const name = chunk.filename || '';
          const type = (chunk.contentType || '').toLowerCase();
          const why = ruleMatching(rules, name, type);
          if (why) {
            removed.push(why);
            replaceWithText(chunk, name);
            push(chunk);
            push({ type: 'body', value: text });
            mode = 'drop';
            return;
          }
          const encoding = (chunk.headers.getFirst('Content-Transfer-Encoding') || '7bit').trim().toLowerCase();
          if (type === 'message/rfc822' && depth < MAX_DEPTH && ['7bit', '8bit', 'binary'].includes(encoding)) mode = 'hold';
        }
        push(chunk);
      })().then(() => callback(), callback);
    },
    flush(callback: TransformCallback) {
      release((c) => {
        this.push(c);
      }).then(() => callback(), callback);
    },
  });
  const out: Buffer[] = [];
  const sink = new Writable({
    write(b: Buffer, _e, done) {
      out.push(b);
      done();
    },
  });
  // Attached messages are leaves here: each is opened by the call above when its body is complete.
  await pipeline(Readable.from([message]), new Splitter({ ignoreEmbedded: true }), replace, new Joiner(), sink);
  return { message: Buffer.concat(out), removed };
}

/** Turns an attachment's part into the text file that replaces it. */
function replaceWithText(node: MailsplitNode, name: string): void {
  const replacement = `${name || 'attachment'}.txt`.replace(/["\\\r\n]/g, '_');
  for (const field of ['Content-Type', 'Content-Disposition', 'Content-Transfer-Encoding', 'Content-Description']) node.headers.remove(field);
  node.headers.add('Content-Transfer-Encoding', '8bit');
  node.headers.add('Content-Disposition', `attachment; filename="${replacement}"`);
  node.headers.add('Content-Type', `text/plain; charset=utf-8; name="${replacement}"`);
}
