// Format-List output, as an admin reads it, parsed back into records: one per
// blank-line-separated block, continuation lines of a wrapped value rejoined.
// The list writer wraps at spaces, so a continuation is joined with one; a
// value without spaces (an identity, a path) is cut mid-word, joined with ''.

export function formatListRecords(text: string, joinWrapped: ' ' | '' = ' '): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | null = null;
  let lastKey = '';
  for (const line of text.split(/\r?\n/)) {
    const m = /^(\w+)\s*: ?(.*)$/.exec(line);
    if (m) {
      if (!cur || m[1] in cur) {
        cur = {};
        out.push(cur);
      }
      cur[m[1]] = m[2].trimEnd();
      lastKey = m[1];
    } else if (cur && /^\s{3,}\S/.test(line) && lastKey) {
      cur[lastKey] += joinWrapped + line.trim();
    } else if (line.trim() === '') {
      cur = null;
    }
  }
  return out;
}
