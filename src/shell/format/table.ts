// Format-Table text (Windows PowerShell 5.1 TableWriter): an empty line, the
// header labels, dashes as long as each label, the rows, two empty lines.
// Columns are separated by one space and every cell is padded to its column
// width. Widths come from the view or from the longest value; when the line
// is too narrow the last column shrinks, then disappears. Long values are cut
// with `...` (right-aligned columns keep the tail); -Wrap wraps instead.

import { wordWrap } from './wrap.js';

export interface TableColumn {
  label: string;
  /** Fixed width (view-defined); undefined = sized from the values. */
  width?: number;
  align: 'left' | 'right';
}

export interface TableOptions {
  /** Line width (console width - 1). */
  width: number;
  wrap?: boolean;
  hideHeaders?: boolean;
}

/** Smallest width a shrunk column keeps before it is hidden. */
const MIN_SHRUNK_WIDTH = 3;

function fit(text: string, width: number, align: 'left' | 'right'): string {
  let s = text;
  const nl = s.search(/\r?\n/);
  if (nl >= 0) s = s.slice(0, nl) + '...';
  if (s.length > width) {
    if (width <= 3) s = align === 'right' ? s.slice(s.length - width) : s.slice(0, width);
    else s = align === 'right' ? '...' + s.slice(s.length - (width - 3)) : s.slice(0, width - 3) + '...';
  }
  return align === 'right' ? s.padStart(width) : s.padEnd(width);
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

/** Column widths after fitting into the line: returns the widths of the visible columns. */
export function columnWidths(columns: TableColumn[], rows: string[][], lineWidth: number): number[] {
  const widths = columns.map((c, i) => {
    if (c.width !== undefined) return c.width;
    let w = c.label.length;
    for (const r of rows) {
      const cell = r[i] ?? '';
      const firstLine = cell.split(/\r?\n/)[0];
      const len = cell.includes('\n') ? firstLine.length + 3 : cell.length;
      if (len > w) w = len;
    }
    return w;
  });
  if (lineWidth <= 0) return widths;
  for (let guard = 0; guard < 1000 && widths.length > 0; guard++) {
    const total = widths.reduce((a, b) => a + b, 0) + widths.length - 1;
    if (total <= lineWidth) break;
    const last = widths.length - 1;
    const shrunk = widths[last] - (total - lineWidth);
    if (shrunk >= MIN_SHRUNK_WIDTH || widths.length === 1) {
      widths[last] = Math.max(1, shrunk);
      break;
    }
    widths.pop();
  }
  return widths;
}

export function renderTable(columns: TableColumn[], rows: string[][], options: TableOptions): string {
  const widths = columnWidths(columns, rows, options.width);
  const cols = columns.slice(0, widths.length);
  if (cols.length === 0) return '';
  const lines: string[] = [];
  if (!options.hideHeaders) {
    // labels longer than a fixed column wrap onto more header lines
    const headerCells = cols.map((c, i) => {
      const w = widths[i];
      const parts: string[] = [];
      for (let s = c.label; s.length > 0 || parts.length === 0; s = s.slice(w)) {
        parts.push(s.slice(0, w));
        if (s.length <= w) break;
      }
      return parts;
    });
    const headerLines = Math.max(...headerCells.map((h) => h.length));
    for (let l = 0; l < headerLines; l++) {
      lines.push(cols.map((c, i) => pad(headerCells[i][l] ?? '', widths[i], c.align)).join(' '));
    }
    lines.push(cols.map((c, i) => pad('-'.repeat(Math.min(c.label.length, widths[i])), widths[i], c.align)).join(' '));
  }
  for (const row of rows) {
    if (options.wrap) {
      const cellLines = cols.map((_, i) => wordWrap(row[i] ?? '', widths[i]));
      const n = Math.max(...cellLines.map((c) => c.length));
      for (let l = 0; l < n; l++) {
        lines.push(cols.map((c, i) => fit(cellLines[i][l] ?? '', widths[i], c.align)).join(' '));
      }
    } else {
      lines.push(cols.map((c, i) => fit(row[i] ?? '', widths[i], c.align)).join(' '));
    }
  }
  return '\n' + lines.map((l) => l + '\n').join('') + '\n\n';
}
