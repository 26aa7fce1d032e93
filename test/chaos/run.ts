/**
 * `npm run chaos -- [--seed N] [--duration S] [--faults N] [--kinds K,K…] [--json FILE]`: one seeded chaos run of the
 * full pipeline (see scenario.ts); prints the summary, exits 0 on PASS and 1 on FAIL.
 */
import { writeFileSync } from 'node:fs';
import { ALL_FAULTS, type FaultKind } from './faults.js';
import { formatSummary, runChaos } from './scenario.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const seed = Number(arg('--seed') ?? 1);
const durationS = Number(arg('--duration') ?? 120);
const faults = arg('--faults') !== undefined ? Number(arg('--faults')) : undefined;
const kinds = arg('--kinds')?.split(',') as FaultKind[] | undefined;
if (!Number.isInteger(seed) || !(durationS > 0) || (faults !== undefined && !(faults > 0)) || (kinds && !kinds.every((k) => ALL_FAULTS.includes(k)))) {
  process.stderr.write(`usage: npm run chaos -- [--seed N] [--duration SECONDS] [--faults N] [--kinds ${ALL_FAULTS.join(',')}] [--json FILE]\n`);
  process.exit(2);
}
process.stderr.write(`chaos seed ${seed}\n`);

runChaos({ seed, durationS, ...(faults !== undefined ? { faults } : {}), ...(kinds ? { kinds } : {}) }).then(
  (summary) => {
    process.stdout.write(`\n${formatSummary(summary)}\n`);
    const json = arg('--json');
    if (json) writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
    process.exit(summary.ok ? 0 : 1);
  },
  (err: unknown) => {
    process.stderr.write(`chaos run failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
