import { describe, expect, it } from 'vitest';
import { buildGraph, findCycles, importsOf, resolveSpecifier } from '../../../eslint/import-graph.mjs';

const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('import graph (lint rule local/no-import-cycle)', () => {
  it('finds the relative imports of every form, type-only and dynamic included', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "import './side.js';",
      "const e = await import('./e.js');",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(importsOf(src)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './side.js', './e.js']);
  });

  it('maps the emitted .js name back to the .ts module', () => {
    expect(resolveSpecifier('/r/src/x/a.ts', '../y/b.js')).toBe('/r/src/y/b.ts');
  });

  it('reports a cycle through several modules and a module importing itself, not a diamond', () => {
    expect(findCycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c']]);
    expect(findCycles(g({ s: ['s'] }))).toEqual([['s']]);
    expect(findCycles(g({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }))).toEqual([]);
  });

  it('the repository has no import cycle', () => {
    const root = process.cwd();
    const cycles = findCycles(buildGraph(root, ['src', 'workers', 'test', 'scripts', 'bench']));
    expect(cycles.map((c) => c.map((f) => f.slice(root.length + 1)))).toEqual([]);
  });
});
