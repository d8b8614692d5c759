// Error records as text, following Windows PowerShell 5.1's NormalView:
// the local layout (`<Cmd> : message`, `At line:L char:C`, the source line and
// a `~` marker, CategoryInfo and FullyQualifiedErrorId) and the Exchange
// remote layout (message, CategoryInfo, the long FullyQualifiedErrorId and
// PSComputerName). Each record ends with a line holding a single space.

import type { Extent, Source } from '../ast.js';
import { setErrorRecordTexts, type ErrorRecord } from '../errors.js';

/** Longer than 40 characters: first 15 + "..." + last 15 (ErrorCategoryInfo). */
export function ellipsize(s: string): string {
  return s.length > 40 ? s.slice(0, 15) + '...' + s.slice(-15) : s;
}

export function categoryInfo(r: ErrorRecord): string {
  return `${r.category}: (${ellipsize(r.targetName ?? '')}:${ellipsize(r.targetType ?? '')}) [${ellipsize(r.activity ?? '')}], ${ellipsize(r.reason)}`;
}

export function fullyQualifiedErrorId(r: ErrorRecord): string {
  if (r.remote) {
    const o = r.remote;
    return `[Server=${o.server},RequestId=${o.requestId},TimeStamp=${o.timeStamp}] [FailureCategory=Cmdlet-${r.reason}] ${o.hexId},${o.taskClass}`;
  }
  return r.commandType ? `${r.errorId},${r.commandType}` : r.errorId;
}

/** `At line:L char:C` (or `At <path>:L char:C`), the source line(s) and the `~` marker. */
export function positionMessage(source: Source, extent: Extent): string {
  const text = source.text;
  const start = Math.max(0, Math.min(extent.start, text.length));
  const end = Math.max(start, Math.min(extent.end, text.length));
  let lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const lineNo = text.slice(0, lineStart).split('\n').length;
  const col = start - lineStart + 1;
  const head = source.name ? `At ${source.name}:${lineNo} char:${col}` : `At line:${lineNo} char:${col}`;
  const out = [head];
  let first = true;
  for (let guard = 0; guard < 1000; guard++) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    const from = first ? start - lineStart : Math.max(0, line.length - line.trimStart().length);
    const to = Math.min(end, lineEnd) - lineStart;
    const marks = Math.max(1, Math.min(to, line.length) - from);
    out.push('+ ' + line);
    out.push('+ ' + ' '.repeat(Math.max(0, from)) + '~'.repeat(marks));
    first = false;
    if (end <= lineEnd || lineEnd >= text.length) break;
    lineStart = lineEnd + 1;
    if (lineStart >= end) break;
  }
  return out.join('\n');
}

/**
 * One "+ Label : value" block: the text is cut every (buffer width - 6)
 * characters and each piece indented by 4 spaces, as the 5.1 view does. The
 * 5.1 view leaves the line breaks to the console's own wrapping; here each
 * piece ends its line, so logs and pipes read the same as a terminal.
 */
function block(text: string, width: number): string {
  const chunk = width + 1 - 6;
  if (!(chunk > 0) || text.length <= chunk) return '    ' + text;
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += chunk) pieces.push('    ' + text.slice(i, i + chunk));
  return pieces.join('\n');
}

/** The record's text, ending with a newline. */
export function renderErrorRecord(r: ErrorRecord, width: number): string {
  let text: string;
  if (r.remote) {
    text = r.message;
  } else if (r.parserError && r.position) {
    text = positionMessage(r.position.source, r.position.extent) + '\n' + r.message;
  } else {
    text = (r.commandName ? r.commandName + ' : ' : '') + r.message;
    if (r.position) text += '\n' + positionMessage(r.position.source, r.position.extent);
  }
  text += '\n' + block('+ CategoryInfo          : ' + categoryInfo(r), width);
  text += '\n' + block('+ FullyQualifiedErrorId : ' + fullyQualifiedErrorId(r), width);
  if (r.remote) text += '\n' + block('+ PSComputerName        : ' + r.remote.computerName, width);
  return text + '\n \n';
}

setErrorRecordTexts({
  categoryInfo,
  fullyQualifiedErrorId,
  positionMessage: (r) => (r.position ? positionMessage(r.position.source, r.position.extent) : ''),
});
