/**
 * Prints the configuration reference as Markdown (README "Configuration"), from the same tables
 * that validate the environment, so the docs cannot drift: `npx tsx scripts/config-table.ts`.
 */
import { sinkVars } from '../src/config/sink-config.js';
import { sourceVars } from '../src/config/source-config.js';
import { toolsVars } from '../src/config/tools-config.js';
import type { SpecTable } from '../src/config/spec.js';

export function configTable(): string {
  const rows = new Map<string, { def: string; desc: string; used: Set<string> }>();
  const add = (table: SpecTable, proc: string) => {
    for (const spec of Object.values(table)) {
      const def = spec.required ? '**required**' : spec.default === undefined ? '—' : `\`${spec.default}\``;
      const row = rows.get(spec.env) ?? { def, desc: spec.description + (spec.secret ? ` (secret: also \`${spec.env}_FILE\`)` : ''), used: new Set<string>() };
      row.used.add(proc);
      if (spec.env === 'METRICS_PORT') row.def = 'source `9101`, sink `9102`';
      rows.set(spec.env, row);
    }
  };
  add(sourceVars, 'source');
  add(sinkVars, 'sink');
  add(toolsVars, 'tools');
  const lines = ['| variable | default | used by | meaning |', '| --- | --- | --- | --- |'];
  for (const [env, r] of rows) lines.push(`| \`${env}\` | ${r.def} | ${[...r.used].join(', ')} | ${r.desc.replace(/\|/g, '\\|')} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${configTable()}\n`);
