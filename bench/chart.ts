/**
 * npm run bench:chart -- [FILE.json ...] [--out FILE.svg]
 *
 * Reads bench results (default: every bench/results/*.json), picks one run per workload and panel
 * (bench/lib/chart-data.ts says which) and writes the SVG (default bench/results/chart.svg).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chartPanels, isChartInput, type ChartInput } from './lib/chart-data.js';
import { renderChart } from './lib/chart-svg.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string', default: join(RESULTS, 'chart.svg') }, help: { type: 'boolean' } } });
if (values.help) {
  process.stdout.write('usage: npm run bench:chart -- [FILE.json ...] [--out FILE.svg]   (default: every bench/results/*.json → bench/results/chart.svg)\n');
  process.exit(0);
}

const files =
  positionals.length > 0
    ? positionals
    : readdirSync(RESULTS)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(RESULTS, f));
const results: ChartInput[] = [];
for (const f of files) {
  const parsed: unknown = JSON.parse(readFileSync(f, 'utf8'));
  if (isChartInput(parsed)) results.push(parsed);
}
const panels = chartPanels(results);
const used = new Set(panels.flatMap((p) => p.groups.map((g) => g.runId)));
const footer = `Drawn by npm run bench:chart from ${positionals.length > 0 ? files.map((f) => basename(f)).join(', ') : 'bench/results/*.json'}; each group of bars is one bench run (runId, date); rates compare only within a group.`;
const out = resolve(values.out!);
writeFileSync(out, renderChart(panels, footer));
process.stdout.write(`wrote ${relative(process.cwd(), out)}: ${panels.map((p) => `${p.groups.length} workload(s)`).join(' + ')} from runs ${[...used].join(', ')}\n`);
