// The line editor: what a key sequence leaves in the line, history recall,
// incremental search and Tab / Shift+Tab cycling.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineEditor, type EditResult, type LineEditorEnvironment } from './line-editor.js';
import { KeyDecoder } from './terminal-keys.js';

function type(editor: LineEditor, text: string): EditResult[] {
  return new KeyDecoder().decode(text).map((k) => editor.feed(k));
}

describe('line editor', () => {
  it('runs what the line shows after Ctrl+A in a burst', () => {
    const e = new LineEditor({ history: [] });
    const results = type(e, 'et-Queue\x01G\r');
    assert.deepEqual(results[results.length - 1], { kind: 'accept', line: 'Get-Queue' });
  });
  it('moves and deletes by character and word, kills to the end and to the start', () => {
    const e = new LineEditor({ history: [] });
    type(e, 'Get-Queue -Server EDGE01\x1b[1;5D\x0b');
    assert.equal(e.text, 'Get-Queue -Server ');
    type(e, 'MBX01\x17EDGE02\x1b[H\x1b[3~g');
    assert.equal(e.text, 'get-Queue -Server EDGE02');
    type(e, '\x1b[F\x1b[D\x1b[D\x15');
    assert.equal(e.text, '02');
    assert.equal(e.cursor, 0);
  });
  it('Ctrl+D ends the input on an empty line only; Ctrl+C interrupts', () => {
    const e = new LineEditor({ history: [] });
    assert.deepEqual(type(e, 'ab\x01\x04'), [{ kind: 'edit' }, { kind: 'edit' }, { kind: 'edit' }, { kind: 'edit' }]);
    assert.equal(e.text, 'b');
    assert.deepEqual(type(e, '\x03'), [{ kind: 'interrupt' }]);
    assert.deepEqual(type(new LineEditor({ history: [] }), '\x04'), [{ kind: 'eof' }]);
  });
  it('walks the history with Up and Down and keeps the line being typed', () => {
    const e = new LineEditor({ history: ['one', 'two'] });
    type(e, 'dra');
    type(e, '\x1b[A');
    assert.equal(e.text, 'two');
    type(e, '\x1b[A\x1b[A');
    assert.equal(e.text, 'one');
    type(e, '\x1b[B\x1b[B');
    assert.equal(e.text, 'dra');
  });
  it('Ctrl+R searches backwards, again for older matches, and Enter runs the match', () => {
    const e = new LineEditor({ history: ['Get-Queue', 'Get-Message', 'Get-Queue -Server EDGE01', 'Get-Date'] });
    type(e, '\x12queue');
    assert.equal(e.text, 'Get-Queue -Server EDGE01');
    assert.equal(e.view().status, 'bck-i-search: queue_');
    type(e, '\x12');
    assert.equal(e.text, 'Get-Queue');
    type(e, '\x12');
    assert.equal(e.view().status, 'failing bck-i-search: queue_');
    const r = type(e, '\r');
    assert.deepEqual(r, [{ kind: 'accept', line: 'Get-Queue' }]);
  });
  it('Escape ends a search with the line as it was', () => {
    const e = new LineEditor({ history: ['Get-Queue'] });
    type(e, 'Get\x12que');
    assert.equal(e.text, 'Get-Queue');
    type(e, '\x1b');
    assert.equal(e.text, 'Get');
    assert.equal(e.view().status, undefined);
  });
  it('Tab replaces the word with each candidate in turn, Shift+Tab goes back, text after the word stays', () => {
    const calls: string[] = [];
    const env: LineEditorEnvironment = {
      history: [],
      complete(line, cursor) {
        calls.push(line.slice(0, cursor));
        return { start: 0, end: cursor, candidates: ['Get-ReceiveConnector', 'Get-Recipient', 'Get-RemoteDomain'] };
      },
    };
    const e = new LineEditor(env);
    type(e, 'Get-Re -x\x1b[D\x1b[D\x1b[D\t');
    assert.equal(e.text, 'Get-ReceiveConnector -x');
    type(e, '\t');
    assert.equal(e.text, 'Get-Recipient -x');
    type(e, '\t\t');
    assert.equal(e.text, 'Get-ReceiveConnector -x');
    type(e, '\x1b[Z');
    assert.equal(e.text, 'Get-RemoteDomain -x');
    assert.deepEqual(calls, ['Get-Re'], 'the candidates are asked for once per cycle');
    type(e, 'X\t');
    assert.equal(calls.length, 2, 'another key starts a new cycle');
  });
  it('a pasted tab is text, not completion', () => {
    const e = new LineEditor({
      history: [],
      complete: () => {
        throw new Error('no completion in a paste');
      },
    });
    type(e, '\x1b[200~"a\tb"\x1b[201~');
    assert.equal(e.text, '"a\tb"');
  });
});
