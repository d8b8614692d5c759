// The line being typed at the prompt: the text and the cursor, changed key by
// key as PSReadLine does (Windows-style keys and the common Emacs ones):
// moving and deleting by character and word, Home/End and Ctrl+A/Ctrl+E,
// killing to the start or the end, Up/Down through the history, Ctrl+R and
// Ctrl+S incremental search ("bck-i-search:" under the line), and Tab /
// Shift+Tab cycling through completions, each press replacing the word with
// the next candidate. No terminal here: the host draws what view() returns.

import type { Key } from './terminal-keys.js';

export interface Completion {
  /** The span of the line the candidates replace. */
  start: number;
  end: number;
  candidates: string[];
}

export interface LineEditorEnvironment {
  /** Entered lines, oldest first (read when the person moves through them). */
  history: readonly string[];
  /** Candidates for the word before the cursor. */
  complete?(line: string, cursor: number): Completion;
}

/** What a key did to the line. */
export type EditResult = { kind: 'edit' } | { kind: 'accept'; line: string } | { kind: 'eof' } | { kind: 'interrupt' } | { kind: 'clear-screen' } | { kind: 'bell' };

interface SearchState {
  query: string;
  backward: boolean;
  /** History index of the line shown; history.length when none matched yet. */
  index: number;
  failed: boolean;
  original: { text: string; cursor: number };
}

interface CompletionState {
  start: number;
  candidates: string[];
  index: number;
  /** Length of the candidate now in the line. */
  length: number;
}

const EDIT: EditResult = { kind: 'edit' };
const BELL: EditResult = { kind: 'bell' };

export class LineEditor {
  text = '';
  cursor = 0;
  private historyIndex: number;
  private draft = '';
  private search: SearchState | undefined;
  private completion: CompletionState | undefined;
  private killed = '';

  constructor(private readonly env: LineEditorEnvironment) {
    this.historyIndex = env.history.length;
  }

  /** The line, the cursor and the status line under it (incremental search). */
  view(): { text: string; cursor: number; status?: string } {
    if (!this.search) return { text: this.text, cursor: this.cursor };
    const s = this.search;
    return { text: this.text, cursor: this.cursor, status: `${s.failed ? 'failing ' : ''}${s.backward ? 'bck' : 'fwd'}-i-search: ${s.query}_` };
  }

  feed(key: Key): EditResult {
    if (this.search) {
      const handled = this.searchKey(key);
      if (handled) return handled;
    }
    if (key.name !== 'tab' && key.name !== 'shift-tab') this.completion = undefined;
    switch (key.name) {
      case 'char':
        return this.insert(key.text ?? '');
      case 'enter':
        return { kind: 'accept', line: this.text };
      case 'ctrl-c':
        return { kind: 'interrupt' };
      case 'ctrl-d':
        if (this.text === '') return { kind: 'eof' };
        return this.deleteForward();
      case 'ctrl-l':
        return { kind: 'clear-screen' };
      case 'backspace':
      case 'ctrl-h':
        if (this.cursor === 0) return BELL;
        this.text = this.text.slice(0, this.cursor - 1) + this.text.slice(this.cursor);
        this.cursor--;
        return EDIT;
      case 'delete':
        return this.deleteForward();
      case 'left':
      case 'ctrl-b':
        return this.moveTo(this.cursor - 1);
      case 'right':
      case 'ctrl-f':
        return this.moveTo(this.cursor + 1);
      case 'home':
      case 'ctrl-a':
        return this.moveTo(0);
      case 'end':
      case 'ctrl-e':
        return this.moveTo(this.text.length);
      case 'word-left':
        return this.moveTo(this.wordStart(this.cursor));
      case 'word-right':
        return this.moveTo(this.wordEnd(this.cursor));
      case 'ctrl-k':
        this.killed = this.text.slice(this.cursor);
        this.text = this.text.slice(0, this.cursor);
        return EDIT;
      case 'ctrl-u':
        this.killed = this.text.slice(0, this.cursor);
        this.text = this.text.slice(this.cursor);
        this.cursor = 0;
        return EDIT;
      case 'ctrl-w':
      case 'kill-word-back': {
        const start = this.wordStart(this.cursor);
        this.killed = this.text.slice(start, this.cursor);
        this.text = this.text.slice(0, start) + this.text.slice(this.cursor);
        this.cursor = start;
        return EDIT;
      }
      case 'ctrl-y':
        return this.insert(this.killed);
      case 'escape':
        this.text = '';
        this.cursor = 0;
        return EDIT;
      case 'up':
      case 'ctrl-p':
        return this.recall(this.historyIndex - 1);
      case 'down':
      case 'ctrl-n':
        return this.recall(this.historyIndex + 1);
      case 'ctrl-r':
        return this.startSearch(true);
      case 'ctrl-s':
        return this.startSearch(false);
      case 'tab':
        return this.complete(1);
      case 'shift-tab':
        return this.complete(-1);
      default:
        return BELL;
    }
  }

  private insert(s: string): EditResult {
    this.text = this.text.slice(0, this.cursor) + s + this.text.slice(this.cursor);
    this.cursor += s.length;
    return EDIT;
  }

  private deleteForward(): EditResult {
    if (this.cursor >= this.text.length) return BELL;
    this.text = this.text.slice(0, this.cursor) + this.text.slice(this.cursor + 1);
    return EDIT;
  }

  private moveTo(pos: number): EditResult {
    const p = Math.max(0, Math.min(this.text.length, pos));
    if (p === this.cursor && pos !== p) return BELL;
    this.cursor = p;
    return EDIT;
  }

  private wordStart(from: number): number {
    let i = from;
    while (i > 0 && /\s/.test(this.text[i - 1])) i--;
    while (i > 0 && !/\s/.test(this.text[i - 1])) i--;
    return i;
  }

  private wordEnd(from: number): number {
    let i = from;
    while (i < this.text.length && /\s/.test(this.text[i])) i++;
    while (i < this.text.length && !/\s/.test(this.text[i])) i++;
    return i;
  }

  private recall(index: number): EditResult {
    const h = this.env.history;
    if (index < 0 || index > h.length) return BELL;
    if (this.historyIndex === h.length) this.draft = this.text;
    this.historyIndex = index;
    this.text = index === h.length ? this.draft : h[index];
    this.cursor = this.text.length;
    return EDIT;
  }

  private startSearch(backward: boolean): EditResult {
    this.completion = undefined;
    this.search = { query: '', backward, index: this.env.history.length, failed: false, original: { text: this.text, cursor: this.cursor } };
    if (!backward) this.search.index = -1;
    return EDIT;
  }

  /** Finds the query from `from` on in the search direction; shows the match. */
  private findMatch(from: number): void {
    const s = this.search as SearchState;
    const h = this.env.history;
    const q = s.query.toLowerCase();
    for (let i = from; s.backward ? i >= 0 : i < h.length; i += s.backward ? -1 : 1) {
      if (i < 0 || i >= h.length) break;
      const at = h[i].toLowerCase().indexOf(q);
      if (at >= 0) {
        s.index = i;
        s.failed = false;
        this.text = h[i];
        this.cursor = at;
        return;
      }
    }
    s.failed = true;
  }

  /** A key during incremental search; undefined = the search ended and the key applies to the line. */
  private searchKey(key: Key): EditResult | undefined {
    const s = this.search as SearchState;
    const step = s.backward ? -1 : 1;
    switch (key.name) {
      case 'char':
        if (key.pasted) break;
        s.query += key.text ?? '';
        this.findMatch(s.index >= 0 && s.index < this.env.history.length ? s.index : s.index + step);
        return EDIT;
      case 'backspace':
      case 'ctrl-h':
        s.query = s.query.slice(0, -1);
        s.index = s.backward ? this.env.history.length : -1;
        if (s.query === '') {
          this.text = s.original.text;
          this.cursor = s.original.cursor;
          s.failed = false;
        } else this.findMatch(s.index + step);
        return EDIT;
      case 'ctrl-r':
      case 'ctrl-s':
        s.backward = key.name === 'ctrl-r';
        if (s.query !== '') this.findMatch(s.index + (s.backward ? -1 : 1));
        return EDIT;
      case 'escape':
      case 'ctrl-g':
        this.text = s.original.text;
        this.cursor = s.original.cursor;
        this.search = undefined;
        return EDIT;
      case 'ctrl-c':
        this.search = undefined;
        return { kind: 'interrupt' };
      default:
        break;
    }
    // any other key ends the search on the line found, then does its usual work
    if (!s.failed && s.index >= 0 && s.index < this.env.history.length) this.historyIndex = s.index;
    this.search = undefined;
    return undefined;
  }

  private complete(direction: 1 | -1): EditResult {
    const c = this.completion;
    if (c && c.candidates.length > 0) {
      const n = c.candidates.length;
      c.index = (c.index + direction + n) % n;
      this.replace(c.start, c.start + c.length, c.candidates[c.index]);
      c.length = c.candidates[c.index].length;
      return EDIT;
    }
    const found = this.env.complete?.(this.text, this.cursor);
    if (!found || found.candidates.length === 0) return BELL;
    const index = direction === 1 ? 0 : found.candidates.length - 1;
    this.replace(found.start, found.end, found.candidates[index]);
    this.completion = { start: found.start, candidates: found.candidates, index, length: found.candidates[index].length };
    return EDIT;
  }

  private replace(start: number, end: number, text: string): void {
    this.text = this.text.slice(0, start) + text + this.text.slice(end);
    this.cursor = start + text.length;
  }
}
