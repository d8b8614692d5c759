// Layers point one way: roles/ composes the running service out of the
// layers below it and defines nothing they import. The test reads the
// sources and lists every import of roles/ from a layer below it.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const ROLES = join(SRC, 'roles');

/** The layers roles/ is built on (cli/ is a composition root, like roles/, and may import it). */
const BELOW_ROLES = ['routing', 'smtp', 'cmdlets', 'explain', 'setup', 'agents', 'config', 'tls', 'mta-sts', 'observability'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The module specifiers of a file: static imports and re-exports, side-effect imports, import(). */
export function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*(['"])([^'"]+)\1/g, /\bimport\s*(['"])([^'"]+)\1/g, /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) found.push(m[2]);
  return found;
}

/** "file:line imports spec" for each import of roles/ in the given layers. */
function importsOfRoles(layers: string[]): string[] {
  const found: string[] = [];
  for (const layer of layers) {
    for (const file of sourceFiles(join(SRC, layer))) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const spec of importSpecifiers(line)) {
          if (!spec.startsWith('.')) continue;
          const target = resolve(dirname(file), spec);
          if (target === ROLES || target.startsWith(ROLES + sep)) found.push(`src/${relative(SRC, file)}:${i + 1} imports ${spec}`);
        }
      });
    }
  }
  return found;
}

describe('layering', () => {
  it('finds the imports of a file', () => {
    const roles = '../roles'; // not written out, or this file would be found importing it
    const text = `import { a } from '${roles}/x.js';\nexport { b } from "./y.js";\nimport './z.js';\nconst m = await import('${roles}/w.js');\n`;
    assert.deepEqual(importSpecifiers(text).sort(), ['../roles/w.js', '../roles/x.js', './y.js', './z.js']);
  });

  it('no layer below roles/ imports roles/', () => {
    for (const layer of BELOW_ROLES) assert.ok(statSync(join(SRC, layer)).isDirectory(), `src/${layer} is missing`);
    const found = importsOfRoles(BELOW_ROLES);
    assert.deepEqual(found, [], `roles/ composes and defines nothing the layers below it import; move what these files need out of roles/:\n${found.join('\n')}`);
  });
});
