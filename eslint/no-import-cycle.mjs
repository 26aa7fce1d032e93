// Lint rule: no module may import itself back through other modules (a cycle makes load order
// decide what is undefined at import time, and ties the modules into one unit). The graph is built
// once per lint run from the files on disk, so it sees every file, not only those being linted.
import { buildGraph, findCycles, resolveSpecifier, show } from './import-graph.mjs';

const ROOTS = ['src', 'workers', 'test', 'scripts', 'bench'];
let cached;

function cycles(root) {
  if (!cached) {
    const graph = buildGraph(root, ROOTS);
    const byFile = new Map();
    for (const c of findCycles(graph)) for (const f of c) byFile.set(f, c);
    cached = byFile;
  }
  return cached;
}

export default {
  meta: { type: 'problem', docs: { description: 'forbid import cycles between modules of the repository' }, schema: [] },
  create(context) {
    const file = context.filename;
    const cycle = cycles(context.cwd).get(file);
    if (!cycle) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      if (cycle.includes(resolveSpecifier(file, spec))) context.report({ node, message: `import cycle among: ${show(context.cwd, cycle)}` });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};
