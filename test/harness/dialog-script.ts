// The golden SMTP dialog format (test/dialogs/*.dialog): parsing a file into
// the Receive connector it needs and the packets it sends, and matching the
// replies it expects. Running a dialog against a server is test/dialogs.test.ts.
//
// One item per line:
//   # comment                 ignored ("# KNOWN BUG: ..." marks a step production gets wrong)
//   ! Usage: Internet         New-ReceiveConnector -Usage (Internet when absent; Custom, Internal, ...)
//   ! Set: -Param value ...   Set-ReceiveConnector parameters for the dialog's connector, verbatim
//                             shell text; several lines are joined into one call
//   ! LocalUser: name pass    a local account on the server (its password given on standard input)
//   ! LocalGroupMember: ...   Add-LocalGroupMember parameters, verbatim (-Group "Exchange Servers" -Member name)
//   C: text                   a client line, CRLF appended
//   R: text                   raw client bytes, nothing appended; escapes \r \n \0 \\ \xHH
//   S: text                   one expected reply line, without its CRLF
//   S: <closed>               the server has closed the connection
// Client lines (C: and R:) may hold
//   {base64:TEXT}             TEXT (with the R: escapes, e.g. \0) in Base64, for AUTH
//   {fill:N}                  N octets of "x" (BDAT chunks, sizes over a limit)
// Reply lines may hold
//   {date}                    the banner's RFC 5322 date
//   {client}                  the client's address as the server shows it
//   {fqdn}                    the connector's FQDN
//   {*}                       any run of non-space characters (message id, InternalId)
// Consecutive C:/R: lines are one packet (pipelining); the S: lines after it
// are everything the server sends in answer, exactly.

export interface DialogAccount {
  name: string;
  password: string;
}

export interface DialogStep {
  /** The bytes of the packet (empty for the banner). */
  packet: Buffer;
  /** The packet has a STARTTLS command line (the runner negotiates TLS after its 220). */
  startTls: boolean;
  /** Expected reply lines (patterns, see replyMatcher). */
  replies: string[];
  /** The server must have closed the connection after these replies. */
  closed: boolean;
  /** Line number in the file of the first S: line of this step (or of the packet), for messages. */
  line: number;
}

export interface DialogScript {
  usage: string;
  set: string[];
  accounts: DialogAccount[];
  groupMembers: string[];
  steps: DialogStep[];
  knownBug: boolean;
}

/** The bytes of an R: text: escapes \r \n \0 \\ \xHH, everything else as UTF-8. */
export function unescapeRaw(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length - 1;
      continue;
    }
    const n = s[++i];
    if (n === 'r') bytes.push(13);
    else if (n === 'n') bytes.push(10);
    else if (n === '0') bytes.push(0);
    else if (n === '\\') bytes.push(92);
    else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new Error(`bad escape \\${n ?? ''} in "${s}"`);
  }
  return Buffer.from(bytes);
}

const CLIENT_PLACEHOLDER = /\{(base64|fill):([^}]*)\}/g;

/** The bytes of a C: or R: line's text, placeholders expanded. */
export function clientBytes(text: string, raw: boolean): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  const literal = (s: string) => (raw ? unescapeRaw(s) : Buffer.from(s, 'utf8'));
  for (const m of text.matchAll(CLIENT_PLACEHOLDER)) {
    parts.push(literal(text.slice(at, m.index)));
    if (m[1] === 'base64') parts.push(Buffer.from(unescapeRaw(m[2]!).toString('base64'), 'latin1'));
    else {
      if (!/^\d+$/.test(m[2]!)) throw new Error(`{fill:N} needs a number: ${m[0]}`);
      parts.push(Buffer.alloc(Number(m[2]), 'x'));
    }
    at = m.index! + m[0].length;
  }
  parts.push(literal(text.slice(at)));
  return Buffer.concat(parts);
}

export function parseDialog(text: string, file: string): DialogScript {
  const script: DialogScript = { usage: 'Internet', set: [], accounts: [], groupMembers: [], steps: [], knownBug: false };
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  let packet: Buffer[] = [];
  let startTls = false;
  let packetLine = 0;
  let current: DialogStep | null = null;
  const flush = () => {
    if (current) script.steps.push(current);
    current = null;
  };
  lines.forEach((l, index) => {
    const lineNo = index + 1;
    const where = `${file}:${lineNo}`;
    if (l.startsWith('# KNOWN BUG:')) script.knownBug = true;
    if (l === '' || l.startsWith('#')) return;
    if (l.startsWith('! ')) {
      const m = /^! (Usage|Set|LocalUser|LocalGroupMember): (.+)$/.exec(l);
      if (!m) throw new Error(`${where}: unknown directive "${l}"`);
      const value = m[2]!.trim();
      if (m[1] === 'Usage') script.usage = value;
      else if (m[1] === 'Set') script.set.push(value);
      else if (m[1] === 'LocalGroupMember') script.groupMembers.push(value);
      else {
        const [name, password, ...rest] = value.split(/\s+/);
        if (!name || !password || rest.length > 0) throw new Error(`${where}: "! LocalUser: name password"`);
        script.accounts.push({ name, password });
      }
      return;
    }
    const m = /^([CRS]):(?: (.*))?$/.exec(l);
    if (!m) throw new Error(`${where}: not a dialog line: "${l}"`);
    const [, kind, body = ''] = m;
    if (kind === 'S') {
      if (!current) {
        current = { packet: Buffer.concat(packet), startTls, replies: [], closed: false, line: packetLine || lineNo };
        packet = [];
        startTls = false;
        packetLine = 0;
      }
      const step: DialogStep = current;
      if (step.closed) throw new Error(`${where}: nothing can follow <closed>`);
      if (body === '<closed>') step.closed = true;
      else step.replies.push(body);
      return;
    }
    flush();
    if (!packetLine) packetLine = lineNo;
    if (kind === 'C') {
      if (/^STARTTLS$/i.test(body)) startTls = true;
      packet.push(clientBytes(body, false), Buffer.from('\r\n'));
    } else packet.push(clientBytes(body, true));
  });
  flush();
  if (packet.length > 0) throw new Error(`${file}: the last packet has no expected reply; end with QUIT (221 and <closed>) or <closed>`);
  const last = script.steps.at(-1);
  if (!last?.closed) throw new Error(`${file}: a dialog ends with the server's <closed> (after QUIT or a refusal that hangs up)`);
  return script;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const DATE = `${DAY}, \\d{1,2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}`;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A reply line pattern as a regular expression, placeholders filled. */
export function replyMatcher(pattern: string, vars: { client: string; fqdn: string }): RegExp {
  let re = '';
  for (const part of pattern.split(/(\{[^}]*\})/)) {
    if (part === '{date}') re += DATE;
    else if (part === '{client}') re += escapeRe(vars.client);
    else if (part === '{fqdn}') re += escapeRe(vars.fqdn);
    else if (part === '{*}') re += '\\S+';
    else if (/^\{[^}]*\}$/.test(part)) throw new Error(`unknown placeholder ${part} in "${pattern}"`);
    else re += escapeRe(part);
  }
  return new RegExp(`^${re}$`);
}
