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
  return new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
}

/** The rule a part matches by its file name or content type: "FileName:*.exe matched tool.exe", or null. */
export function ruleMatching(rules: AttachmentRule[], name: string, contentType: string): string | null {
  for (const r of rules) {
    if (r.type === 'FileName' && name && wildcard(r.pattern).test(name)) return `FileName:${r.pattern} matched ${name}`;
  }
  const type = contentType.toLowerCase();
  const byType = rules.find((r) => r.type === 'ContentType' && r.pattern.toLowerCase() === type);
  return byType ? `ContentType:${byType.pattern} matched ${name || 'an attachment'}` : null;
}

/** The first attachment a rule matches, with the rule: "FileName:*.exe matched invoice.exe", or null. */
export async function findBlockedAttachment(message: Buffer, rules: AttachmentRule[], depth = 0): Promise<string | null> {
  if (rules.length === 0) return null;
  const parsed = await simpleParser(message, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true });
  for (const a of parsed.attachments as Attachment[]) {
    const name = a.filename ?? '';
    const type = (a.contentType ?? '').toLowerCase();
    const matched = ruleMatching(rules, name, type);
    if (matched) return matched;
    if (type === 'message/rfc822' && depth < MAX_DEPTH) {
      const inner = await findBlockedAttachment(a.content, rules, depth + 1);
      if (inner) return `${inner} (in the attached message ${name || 'without a name'})`;
    }
  }
  return null;
}
