// PowerShell wildcard patterns (`*`, `?`, `[a-z]`, backtick escapes) as used
// by -like, Format-List property names and Get-Command -Name.

const cache = new Map<string, RegExp>();

export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

export function wildcardToRegExp(pattern: string, caseSensitive = false): RegExp {
  const key = (caseSensitive ? 'c:' : 'i:') + pattern;
  const hit = cache.get(key);
  if (hit) return hit;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '`' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i]);
    } else if (c === '*') {
      re += '[\\s\\S]*';
    } else if (c === '?') {
      re += '[\\s\\S]';
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      const body = pattern
        .slice(i + 1, close)
        .replace(/\\/g, '\\\\')
        .replace(/\^/g, '\\^');
      re += '[' + body + ']';
      i = close;
    } else {
      re += escapeRe(c);
    }
  }
  const result = new RegExp('^' + re + '$', caseSensitive ? 'u' : 'iu');
  if (cache.size > 500) cache.clear();
  cache.set(key, result);
  return result;
}

export function matchWildcard(text: string, pattern: string, caseSensitive = false): boolean {
  return wildcardToRegExp(pattern, caseSensitive).test(text);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
