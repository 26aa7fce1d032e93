/**
 * The two verdicts of a chaos run:
 * 1. PostgreSQL equals ScyllaDB: `scylla-pg-cdc reconcile --dry-run` on every table says 100 %.
 * 2. Every change reached Kafka exactly once: each (table, key, n) the workload wrote appears in
 *    its topic exactly once for a read_committed consumer — none lost, none doubled — through every
 *    source kill, rebalance, generation change and broker restart.
 */
// The bad input includes an Avro block-count bomb: decode it with the sink's bounds, or this process
// would try to allocate 2^31 elements (the same avsc instance backs the registry client).
import { avroBoundsInstalled } from '../../src/sink/core/avro-bounds.js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { readTopicToEnd } from '../../src/tools/topic-reader.js';
import type { TableName } from './workload.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);

export interface ReconcileVerdict {
  table: string;
  accuracy: number;
  missing: number;
  extra: number;
  mismatches: number;
  sample: unknown;
}

export async function reconcileAll(env: Record<string, string>, tables: string[], dir: string): Promise<ReconcileVerdict[]> {
  const out: ReconcileVerdict[] = [];
  for (const table of tables) {
    const reportPath = join(dir, `reconcile-${table.replace('.', '_')}-${Date.now()}.json`);
    await run(process.execPath, ['--import', 'tsx', MAIN, 'reconcile', '--table', table, '--dry-run', '--report', reportPath, '--max-listed', '5'], { env: { ...process.env, ...env }, timeout: 300_000 }).catch((err: { code?: number; stderr?: string }) => {
      if (err.code !== 3) throw new Error(`reconcile ${table} failed: ${err.stderr ?? String(err)}`);
    });
    const r = JSON.parse(readFileSync(reportPath, 'utf8')) as { accuracy_percentage: number; counts: { missing_in_target: number; extra_in_target: number; mismatches: number }; discrepancies: unknown };
    out.push({ table, accuracy: r.accuracy_percentage, missing: r.counts.missing_in_target, extra: r.counts.extra_in_target, mismatches: r.counts.mismatches, sample: r.discrepancies });
  }
  return out;
}

export interface ExactlyOnceVerdict {
  table: TableName;
  expected: number;
  seen: number;
  missing: string[];
  duplicated: string[];
}

type Cell = { value?: unknown } | null | undefined;

/** Reads each topic whole (read_committed) and checks every (key, n) appears exactly once. */
void avroBoundsInstalled;

export async function exactlyOnce(kafka: Kafka, registry: SchemaRegistry, topicOf: (t: TableName) => string, written: Map<TableName, Map<string, number>>, keyOf: (t: TableName, key: Record<string, unknown>) => string): Promise<ExactlyOnceVerdict[]> {
  const out: ExactlyOnceVerdict[] = [];
  for (const [table, maxN] of written) {
    const seen = new Map<string, number>();
    for (const m of await readTopicToEnd(kafka, topicOf(table))) {
      if (!m.key || !m.value || m.value[0] !== 0) continue; // poison records injected on purpose
      let env: { op?: string; after?: Record<string, Cell> | null };
      let key: Record<string, unknown>;
      try {
        env = (await registry.decode(m.value)) as typeof env;
        key = (await registry.decode(m.key)) as Record<string, unknown>;
      } catch {
        continue; // records written with an incompatible schema on purpose
      }
      const n = env.after?.n?.value;
      if (env.op === 'd' || typeof n !== 'number') continue;
      const id = `${keyOf(table, key)}#${n}`;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    const missing: string[] = [];
    let expected = 0;
    for (const [key, top] of maxN) {
      for (let n = 1; n <= top; n++) {
        expected++;
        if (!seen.has(`${key}#${n}`)) missing.push(`${key}#${n}`);
      }
    }
    const duplicated = [...seen].filter(([, c]) => c > 1).map(([id]) => id);
    out.push({ table, expected, seen: seen.size, missing, duplicated });
  }
  return out;
}
