// Line breaking shared by the list and table writers: embedded newlines start
// new lines, long lines break at spaces (English word wrap), words longer than
// the width are cut.

export function wordWrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (width <= 0 || raw.length <= width) {
      out.push(raw);
      continue;
    }
    const tokens = raw.match(/\S+\s*|\s+/g) ?? [''];
    let cur = '';
    for (const tok of tokens) {
      const word = tok.trimEnd();
      if ((cur + word).length <= width) {
        cur += tok;
        continue;
      }
      if (cur.trimEnd() !== '') out.push(cur.trimEnd());
      cur = '';
      let rest = word;
      while (rest.length > width) {
        out.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      cur = rest + tok.slice(word.length);
    }
    if (cur.trimEnd() !== '' || out.length === 0) out.push(cur.trimEnd());
  }
  return out;
}
