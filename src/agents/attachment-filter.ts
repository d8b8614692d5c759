// The Attachment Filtering agent's check (spec exchange-edge-agents.md §3.7):
// each attachment of a message, and of the messages attached to it (to a
// depth of 3), by file name (with * and ? as wildcards, without regard to
// case) and by MIME content type. The message is read with mailparser.

import { simpleParser, type Attachment } from 'mailparser';

export interface AttachmentRule {
  type: 'FileName' | 'ContentType';
  pattern: string;
}

/** Nested messages are opened to this depth. */
const MAX_DEPTH = 3;

function wildcard(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
}

/** The first attachment a rule matches, with the rule: "FileName:*.exe matched invoice.exe", or null. */
export async function findBlockedAttachment(message: Buffer, rules: AttachmentRule[], depth = 0): Promise<string | null> {
  if (rules.length === 0) return null;
  const parsed = await simpleParser(message, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  const names = rules.filter((r) => r.type === 'FileName').map((r) => ({ r, re: wildcard(r.pattern) }));
  const types = rules.filter((r) => r.type === 'ContentType').map((r) => ({ r, type: r.pattern.toLowerCase() }));
  for (const a of parsed.attachments as Attachment[]) {
    const name = a.filename ?? '';
    const byName = name ? names.find((n) => n.re.test(name)) : undefined;
    if (byName) return `FileName:${byName.r.pattern} matched ${name}`;
    const type = (a.contentType ?? '').toLowerCase();
    const byType = types.find((t) => t.type === type);
    if (byType) return `ContentType:${byType.r.pattern} matched ${name || 'an attachment'}`;
    if (type === 'message/rfc822' && depth < MAX_DEPTH) {
      const inner = await findBlockedAttachment(a.content, rules, depth + 1);
      if (inner) return `${inner} (in the attached message ${name || 'without a name'})`;
    }
  }
  return null;
}
