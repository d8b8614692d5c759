// Keys from a terminal in raw mode. The bytes a terminal sends (printable
// text, control characters, escape sequences for arrows and Home/End,
// bracketed paste markers) become a sequence of named keys, in order. A
// sequence cut in two by the input chunks is completed by the next chunk.
// Text between the bracketed paste markers comes as keys marked `pasted`:
// its line ends accept lines, its tabs are text, not completion.

export type KeyName = 'char' | 'enter' | 'tab' | 'shift-tab' | 'backspace' | 'delete' | 'escape' | 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'word-left' | 'word-right' | 'kill-word-back' | `ctrl-${string}`;

export interface Key {
  name: KeyName;
  /** The text of a 'char' key (one code point). */
  text?: string;
  /** Part of a bracketed paste. */
  pasted?: boolean;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

const CSI_FINALS: Record<string, KeyName> = { A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', Z: 'shift-tab' };
const CSI_TILDE: Record<string, KeyName> = { '1': 'home', '7': 'home', '4': 'end', '8': 'end', '3': 'delete' };

/** Turns terminal input into keys; keeps an unfinished escape sequence for the next chunk. */
export class KeyDecoder {
  private pending = '';
  private pasting = false;
  private afterCR = false;

  /** Keys of this chunk (and of what the previous chunk left unfinished). */
  decode(chunk: string): Key[] {
    const text = this.pending + chunk;
    this.pending = '';
    const keys: Key[] = [];
    let i = 0;
    while (i < text.length) {
      if (this.pasting) {
        const end = text.indexOf(PASTE_END, i);
        const stop = end >= 0 ? end : partialSuffixStart(text, i, PASTE_END);
        this.pastedText(text.slice(i, stop), keys);
        if (end < 0) {
          this.pending = text.slice(stop);
          return keys;
        }
        this.pasting = false;
        i = end + PASTE_END.length;
        continue;
      }
      const c = text[i];
      if (c === '\x1b') {
        const seq = escapeSequence(text, i);
        if (seq === 'incomplete') {
          this.pending = text.slice(i);
          return keys;
        }
        this.afterCR = false;
        if (seq.raw === PASTE_START) this.pasting = true;
        else if (seq.key) keys.push(seq.key);
        i += seq.raw.length;
        continue;
      }
      const cp = text.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      i += ch.length;
      if (c === '\n' && this.afterCR) {
        this.afterCR = false;
        continue;
      }
      this.afterCR = c === '\r';
      const key = controlKey(ch);
      if (key) keys.push(key);
    }
    return keys;
  }

  private pastedText(text: string, keys: Key[]): void {
    for (const ch of text) {
      if (ch === '\n' && this.afterCR) {
        this.afterCR = false;
        continue;
      }
      this.afterCR = ch === '\r';
      if (ch === '\r' || ch === '\n') keys.push({ name: 'enter', pasted: true });
      else if (ch === '\t') keys.push({ name: 'char', text: '\t', pasted: true });
      else if (ch >= ' ' && ch !== '\x7f') keys.push({ name: 'char', text: ch, pasted: true });
    }
  }
}

/** Where a possible beginning of `marker` starts at the end of text (text.length when none). */
function partialSuffixStart(text: string, from: number, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length - from); n > 0; n--) {
    if (text.endsWith(marker.slice(0, n))) return text.length - n;
  }
  return text.length;
}

function controlKey(ch: string): Key | undefined {
  switch (ch) {
    case '\r':
    case '\n':
      return { name: 'enter' };
    case '\t':
      return { name: 'tab' };
    case '\x7f':
    case '\b':
      return { name: 'backspace' };
    default:
      break;
  }
  const code = ch.charCodeAt(0);
  if (code < 0x20) {
    if (code === 0) return undefined;
    if (code <= 26) return { name: `ctrl-${String.fromCharCode(code + 96)}` };
    return undefined;
  }
  return { name: 'char', text: ch };
}

/** The escape sequence at text[i] (an ESC): its raw text and key, or 'incomplete' when the chunk ends inside it. */
function escapeSequence(text: string, i: number): { raw: string; key?: Key } | 'incomplete' {
  if (i + 1 >= text.length) return { raw: '\x1b', key: { name: 'escape' } };
  const next = text[i + 1];
  if (next === '[') {
    let j = i + 2;
    while (j < text.length && /[0-9;?]/.test(text[j])) j++;
    if (j >= text.length) return 'incomplete';
    const raw = text.slice(i, j + 1);
    const params = text.slice(i + 2, j);
    const final = text[j];
    if (final === '~') {
      const [first] = params.split(';');
      const name = CSI_TILDE[first];
      return { raw, key: name ? { name } : undefined };
    }
    const name = CSI_FINALS[final];
    if (!name) return { raw };
    // modifiers: 1;5C (Ctrl+Right), 1;3D (Alt+Left) move by words
    const modifier = params.split(';')[1];
    if (modifier && modifier !== '1' && (name === 'left' || name === 'right')) return { raw, key: { name: name === 'left' ? 'word-left' : 'word-right' } };
    return { raw, key: { name } };
  }
  if (next === 'O') {
    if (i + 2 >= text.length) return 'incomplete';
    const name = CSI_FINALS[text[i + 2]];
    return { raw: text.slice(i, i + 3), key: name ? { name } : undefined };
  }
  // Alt+key
  if (next === 'b' || next === 'B') return { raw: text.slice(i, i + 2), key: { name: 'word-left' } };
  if (next === 'f' || next === 'F') return { raw: text.slice(i, i + 2), key: { name: 'word-right' } };
  if (next === '\x7f' || next === '\b') return { raw: text.slice(i, i + 2), key: { name: 'kill-word-back' } };
  if (next === '\x1b') return { raw: '\x1b', key: { name: 'escape' } };
  return { raw: '\x1b', key: { name: 'escape' } };
}
