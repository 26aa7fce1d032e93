// The repository's relative-import graph and its cycles, for the `local/no-import-cycle` lint rule.
// Plain JavaScript with no dependencies: eslint loads it directly, and a unit test imports it too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Static imports, re-exports, side-effect imports and dynamic `import('…')` of relative paths. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;

/** The relative specifiers a module's source imports (type-only imports count: they tie modules too). */
export function importsOf(source) {
  const out = [];
  for (const m of source.matchAll(IMPORT)) out.push(m[2]);
  return out;
}

/** `./x.js` from `dir/a.ts` → `dir/x.ts` (TypeScript's NodeNext convention: import the emitted name). */
export function resolveSpecifier(fromFile, spec) {
  return resolve(dirname(fromFile), spec).replace(/\.js$/, '.ts');
}

/**
 * Strongly connected components with more than one module, or a module importing itself (Tarjan).
 * `graph`: module → modules it imports. Returns each cycle's modules.
 */
export function findCycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.reverse());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

function walk(dir, files) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, files);
    else if (e.name.endsWith('.ts')) files.push(p);
  }
}

/** The graph of every .ts file under `roots` (absolute paths). */
export function buildGraph(root, roots) {
  const files = [];
  for (const r of roots) walk(join(root, r), files);
  const graph = new Map();
  for (const f of files)
    graph.set(
      f,
      importsOf(readFileSync(f, 'utf8')).map((s) => resolveSpecifier(f, s)),
    );
  return graph;
}

export const show = (root, files) => files.map((f) => relative(root, f)).join(', ');
