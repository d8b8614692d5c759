// Draws the line being edited on a terminal: the prompt, the text (wrapped
// over as many rows as the width needs), an optional status line under it
// (the incremental search), and the cursor where the editor has it. Each draw
// goes back to the prompt's first row and rewrites from there, so the screen
// always shows exactly the text the editor holds.

export class LineScreen {
  /** Row of the cursor, counted from the prompt's first row. */
  private row = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns: () => number,
  ) {}

  /** A new prompt starts on the current row. */
  begin(): void {
    this.row = 0;
  }

  /** Rewrites the prompt and the text, and places the cursor `cursor` characters into the text. */
  draw(prompt: string, text: string, cursor: number, status?: string): void {
    const cols = Math.max(2, this.columns());
    const shown = visible(text);
    let out = this.row > 0 ? `\x1b[${this.row}A\r` : '\r';
    out += prompt + shown;
    const total = prompt.length + shown.length;
    // at the exact end of a row the terminal waits to wrap: a space wraps it (the row stays
    // marked as continued), and the clear below erases the space
    if (total > 0 && total % cols === 0) out += ' \r';
    out += '\x1b[J';
    let row = Math.floor(total / cols);
    if (status) {
      out += '\r\n' + status.slice(0, cols - 1);
      row++;
    }
    const target = prompt.length + visible(text.slice(0, cursor)).length;
    const targetRow = Math.floor(target / cols);
    const targetCol = target % cols;
    if (row > targetRow) out += `\x1b[${row - targetRow}A`;
    out += '\r';
    if (targetCol > 0) out += `\x1b[${targetCol}C`;
    this.row = targetRow;
    this.write(out);
  }

  /** Shows the final line (no status) and moves below it, ready for output. */
  finish(prompt: string, text: string, suffix = ''): void {
    this.draw(prompt, text, text.length);
    this.write(suffix + '\r\n');
    this.row = 0;
  }
}

/** Tabs (from a paste) take one column. */
function visible(text: string): string {
  return text.replace(/\t/g, ' ');
}
