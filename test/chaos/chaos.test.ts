/**
 * The chaos run, shortened, as part of the test command: every fault kind once over ~90 s of seeded
 * workload, then PostgreSQL must equal ScyllaDB and every change must have reached Kafka exactly once.
 * It restarts the shared Kafka broker and PostgreSQL, so it runs alone (vitest.chaos.config.ts), after
 * the rest of the suite. The long run for the record: `npm run chaos -- --seed N --duration 600`.
 */
import { expect, it } from 'vitest';
import { formatSummary, runChaos } from './scenario.js';

it('survives every fault kind with nothing lost and nothing duplicated', async () => {
  const seed = Number(process.env.CHAOS_SEED ?? 1);
  // First, before any wait: a failure is reproducible only with its seed.
  process.stderr.write(`chaos seed ${seed} (rerun with CHAOS_SEED=${seed})\n`);
  const summary = await runChaos({ seed, durationS: Number(process.env.CHAOS_DURATION_S ?? 90), faults: 10, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(`\n${formatSummary(summary)}\n`);
  expect(summary.problems).toEqual([]);
  expect(Object.keys(summary.faultsByKind).sort()).toHaveLength(10);
  expect(summary.reconcile.every((r) => r.accuracy === 100)).toBe(true);
  expect(summary.oracle.map((o) => o.table).sort()).toEqual(['events', 'items', 'users']);
  expect(summary.oracle.every((o) => o.scyllaRows > 0 && o.missing + o.extra + o.differing + o.model === 0)).toBe(true);
  expect(summary.exactlyOnce.every((e) => e.missing.length === 0 && e.duplicated.length === 0 && e.expected > 0)).toBe(true);
}, 900_000);
