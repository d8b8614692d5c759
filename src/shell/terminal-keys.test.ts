// Key decoding: printable text, control keys, escape sequences cut across
// chunks, and bracketed paste (line ends accept, tabs are text).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyDecoder, type Key } from './terminal-keys.js';

const names = (keys: Key[]): string[] => keys.map((k) => (k.name === 'char' ? `'${k.text}'` : k.name) + (k.pasted ? '(p)' : ''));

describe('terminal keys', () => {
  it('names printable text, control keys and escape sequences', () => {
    const d = new KeyDecoder();
    assert.deepEqual(names(d.decode('ab\x01\x05\t\x1b[Z\x1b[A\x1bOB\x1b[3~\x1b[1;5C\x7f\r')), ["'a'", "'b'", 'ctrl-a', 'ctrl-e', 'tab', 'shift-tab', 'up', 'down', 'delete', 'word-right', 'backspace', 'enter']);
  });
  it('keeps a burst in order: et-Queue, Ctrl+A, G', () => {
    const d = new KeyDecoder();
    assert.deepEqual(names(d.decode('et-Queue\x01G\r')), ["'e'", "'t'", "'-'", "'Q'", "'u'", "'e'", "'u'", "'e'", 'ctrl-a', "'G'", 'enter']);
  });
  it('completes an escape sequence cut between two chunks', () => {
    const d = new KeyDecoder();
    assert.deepEqual(names(d.decode('x\x1b[')), ["'x'"]);
    assert.deepEqual(names(d.decode('Dy')), ['left', "'y'"]);
  });
  it('reads CR LF as one Enter', () => {
    const d = new KeyDecoder();
    assert.deepEqual(names(d.decode('a\r\nb\r')), ["'a'", 'enter', "'b'", 'enter']);
    assert.deepEqual(names(d.decode('\nc')), ["'c'"]);
  });
  it('marks bracketed paste text, even when its end marker is split', () => {
    const d = new KeyDecoder();
    assert.deepEqual(names(d.decode('\x1b[200~a\tb\r\nc\x1b[20')), ["'a'(p)", "'\t'(p)", "'b'(p)", 'enter(p)', "'c'(p)"]);
    assert.deepEqual(names(d.decode('1~\t')), ['tab']);
  });
});
