// Format-List text (Windows PowerShell 5.1 ListWriter): two empty lines, then
// per object one `Name : value` line per property with labels padded to the
// longest name of that object, an empty line after each object, and two more
// empty lines at the end. Values wrap at the line width, continuation lines
// indented under the value column.

import { wordWrap } from './wrap.js';

export interface ListEntry {
  name: string;
  value: string;
}

export function renderListEntry(entries: ListEntry[], width: number): string[] {
  if (entries.length === 0) return [];
  let labelWidth = Math.max(...entries.map((e) => e.name.length));
  // keep at least one value column
  if (width > 0 && labelWidth + 4 > width) labelWidth = Math.max(1, width - 4);
  const fieldWidth = width > 0 ? width - (labelWidth + 3) : 0;
  const indent = ' '.repeat(labelWidth + 3);
  const lines: string[] = [];
  for (const e of entries) {
    const label = e.name.length > labelWidth ? e.name.slice(0, labelWidth) : e.name.padEnd(labelWidth);
    const valueLines = wordWrap(e.value, fieldWidth);
    lines.push(label + ' : ' + valueLines[0]);
    for (const more of valueLines.slice(1)) lines.push(indent + more);
  }
  return lines;
}

/** The whole Format-List output for a sequence of objects (already reduced to entries). */
export function renderList(objects: ListEntry[][], width: number): string {
  if (objects.length === 0) return '';
  let out = '\n\n';
  for (const entries of objects) {
    const lines = renderListEntry(entries, width);
    for (const l of lines) out += l + '\n';
    out += '\n';
  }
  return out + '\n\n';
}
