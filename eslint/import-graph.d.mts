// Types of import-graph.mjs, for the unit test written in TypeScript.
export function importsOf(source: string): string[];
export function resolveSpecifier(fromFile: string, spec: string): string;
export function findCycles(graph: Map<string, string[]>): string[][];
export function buildGraph(root: string, roots: string[]): Map<string, string[]>;
export function show(root: string, files: string[]): string;
