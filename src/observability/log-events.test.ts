import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LOG_EVENT_LEVELS, LOG_EVENT_NAMES, type LogEventName } from './log-events.js';
import { JsonLogger, type Logger } from './logger.js';

// dist/src/observability/ -> the package's root.
const doc = readFileSync(new URL('../../../docs/log-events.md', import.meta.url), 'utf8');

/** Each "### `event`" section of the document with its "- Level:" line. */
function documented(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of doc.matchAll(/^### `([^`]+)`\n+- Level: ([^\n]+)$/gm)) {
    assert.ok(!out.has(m[1]!), `${m[1]} is documented twice`);
    out.set(
      m[1]!,
      m[2]!.split(',').map((l) => l.trim()),
    );
  }
  return out;
}

describe('the log event catalogue', () => {
  it("docs/log-events.md lists exactly the catalogue's events", () => {
    const inDoc = [...documented().keys()].sort();
    assert.equal(doc.match(/^### /gm)?.length, inDoc.length, 'every event heading is followed by its level');
    assert.deepEqual(inDoc, [...LOG_EVENT_NAMES].sort());
  });

  it("the document gives each event the catalogue's levels", () => {
    const inDoc = documented();
    for (const name of LOG_EVENT_NAMES) assert.deepEqual(inDoc.get(name), [...LOG_EVENT_LEVELS[name]], name);
  });

  it('every warning and error in the document says what to do', () => {
    const sections = doc.split(/^(?=### `)/m).slice(1);
    for (const s of sections) {
      const name = /^### `([^`]+)`/.exec(s)![1] as LogEventName;
      const levels: readonly string[] = LOG_EVENT_LEVELS[name];
      if (levels.includes('warn') || levels.includes('error')) assert.match(s, /^- What to do: \S/m, name);
    }
  });

  it('names are lower-case words joined by dots and hyphens, and every event has a level', () => {
    for (const name of LOG_EVENT_NAMES) {
      assert.match(name, /^[a-z]+(-[a-z]+)*(\.[a-z]+(-[a-z]+)*)+$/, name);
      assert.ok(LOG_EVENT_LEVELS[name].length > 0, name);
    }
  });

  it('the logger writes the event with its fields and context as one JSON line, above the minimum level', () => {
    const lines: string[] = [];
    const log: Logger = new JsonLogger((l) => lines.push(l), { server: 'EDGE01' }, 'info').child({ component: 'delivery' });
    log.log('debug', 'organization.store.reconnect.failed', { error: 'not written' });
    log.log('warn', 'delivery.queue.retry', { queue: 'contoso.com', failures: 2, nextRetry: '2026-01-01T00:00:00.000Z', lastError: '421 busy' });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    const { ts, ...rest } = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.match(String(ts), /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(rest, { level: 'warn', event: 'delivery.queue.retry', server: 'EDGE01', component: 'delivery', queue: 'contoso.com', failures: 2, nextRetry: '2026-01-01T00:00:00.000Z', lastError: '421 busy' });
  });
});

// Checked by the compiler, never run: an event outside the catalogue, a field it does not have, a field of the wrong
// type and a level the event is not written at are errors.
export function rejectedByTheCompiler(log: Logger): void {
  // @ts-expect-error: no such event
  log.log('info', 'service.stoped', { signal: 'SIGTERM' });
  // @ts-expect-error: no such field
  log.log('info', 'service.stopping', { sig: 'SIGTERM' });
  // @ts-expect-error: a field of the wrong type
  log.log('info', 'service.stopping', { signal: 15 });
  // @ts-expect-error: service.stopping is written at info only
  log.log('error', 'service.stopping', { signal: 'SIGTERM' });
  // @ts-expect-error: a field is missing
  log.log('warn', 'delivery.queue.retry', { queue: 'contoso.com', failures: 2, nextRetry: '' });
}
