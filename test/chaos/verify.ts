/**
 * The two verdicts of a chaos run:
 * 1. PostgreSQL equals ScyllaDB: `scylla-pg-cdc reconcile --dry-run` on every table says 100 %.
 * 2. Every change reached Kafka exactly once: each (table, key, n) the workload wrote appears in
 *    its topic exactly once for a read_committed consumer — none lost, none doubled, none unknown —
 *    through every source kill, rebalance, generation change and broker restart; deletes by identity.
 * The first verdict's independent twin is oracle.ts (ScyllaDB vs PostgreSQL without pipeline code).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka } from 'kafkajs';
import { readTopicToEnd } from '../../src/clients/topic-reader.js';
import type { DeleteCounts, TableName } from './workload.js';

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
    await run(process.execPath, ['--import', 'tsx', MAIN, 'reconcile', '--table', table, '--dry-run', '--report', reportPath, '--max-listed', '5'], {
      env: { ...process.env, ...env },
      timeout: 300_000,
    }).catch((err: { code?: number; stderr?: string }) => {
      if (err.code !== 3) throw new Error(`reconcile ${table} failed: ${err.stderr ?? String(err)}`);
    });
    const r = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      accuracy_percentage: number;
      counts: { missing_in_target: number; extra_in_target: number; mismatches: number };
      discrepancies: unknown;
    };
    out.push({
      table,
      accuracy: r.accuracy_percentage,
      missing: r.counts.missing_in_target,
      extra: r.counts.extra_in_target,
      mismatches: r.counts.mismatches,
      sample: r.discrepancies,
    });
  }
  return out;
}

export interface ExactlyOnceVerdict {
  table: TableName;
  expected: number;
  seen: number;
  missing: string[];
  duplicated: string[];
  /** Changes in Kafka the workload never wrote: (key, n) beyond what it wrote for that key. */
  unknown: string[];
  /** Delete identities outside [sure, sure + maybe] events: `id: seen (expected a..b)`. */
  deletes: string[];
  deleteEvents: number;
  /** Records that are not workload changes, by kind; the scenario compares them with what it injected. */
  skipped: { notConfluent: number; undecodable: number; foreign: number };
}

type Cell = { value?: unknown } | null | undefined;

function boundValue(b: unknown, col: string): unknown {
  const v = (b as Record<string, unknown> | null | undefined)?.[col];
  return v !== null && typeof v === 'object' && 'value' in (v as object) ? (v as { value: unknown }).value : v;
}

/** The identity a delete event stands for (see Workload.deletesIssued). */
function deleteIdentity(table: TableName, key: Record<string, unknown>, source: Record<string, unknown>, keyOf: (t: TableName, key: Record<string, unknown>) => string): string {
  const kind = (source.change_kind as string | null) ?? 'row';
  // A table without clustering columns logs a row delete as a partition delete (ScyllaDB op 4).
  if (kind === 'partition_delete') return table === 'events' ? `partition:${String(key.pk)}` : `row:${keyOf(table, key)}`;
  if (kind === 'range_delete') return `range:${String(key.pk)}:${String(boundValue(source.range_start, 'ck'))}:${String(boundValue(source.range_end, 'ck'))}`;
  return `row:${keyOf(table, key)}`;
}

/**
 * Reads each topic whole (read_committed, up to the high watermarks captured first) and checks that
 * every (key, n) appears exactly once, nothing unknown appears, every delete appears as often as it
 * can have been applied, and counts what could not be read as a change.
 */
export async function exactlyOnce(
  kafka: Kafka,
  registry: SchemaRegistry,
  topicOf: (t: TableName) => string,
  written: Map<TableName, Map<string, number>>,
  deletes: Map<TableName, DeleteCounts>,
  rewritten: Map<TableName, DeleteCounts>,
  keyOf: (t: TableName, key: Record<string, unknown>) => string,
): Promise<ExactlyOnceVerdict[]> {
  const out: ExactlyOnceVerdict[] = [];
  for (const [table, maxN] of written) {
    const seen = new Map<string, number>();
    const deleteSeen = new Map<string, number>();
    const skipped = { notConfluent: 0, undecodable: 0, foreign: 0 };
    const unknown: string[] = [];
    let deleteEvents = 0;
    for (const m of await readTopicToEnd(kafka, topicOf(table), Number.POSITIVE_INFINITY, 300_000)) {
      if (!m.key || !m.value || m.value[0] !== 0) {
        skipped.notConfluent++;
        continue;
      }
      let env: { op?: string; after?: Record<string, Cell> | null; source?: Record<string, unknown> };
      let key: Record<string, unknown>;
      try {
        env = (await registry.decode(m.value)) as typeof env;
        key = (await registry.decode(m.key)) as Record<string, unknown>;
      } catch {
        skipped.undecodable++;
        continue;
      }
      if (env.op === 'd') {
        deleteEvents++;
        const id = deleteIdentity(table, key, env.source ?? {}, keyOf);
        deleteSeen.set(id, (deleteSeen.get(id) ?? 0) + 1);
        continue;
      }
      const n = env.after?.n?.value;
      if (typeof n !== 'number') {
        skipped.foreign++;
        continue;
      }
      const k = keyOf(table, key);
      const id = `${k}#${n}`;
      if (n < 1 || n > (maxN.get(k) ?? 0)) unknown.push(id);
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
    // A change the workload may have written twice (retry after an unknown outcome) may appear as
    // many times as it was attempted; any other change exactly once.
    const allowed = (id: string) => 1 + (rewritten.get(table)?.get(id)?.maybe ?? 0);
    const duplicated = [...seen].filter(([id, c]) => c > allowed(id)).map(([id]) => id);
    const badDeletes: string[] = [];
    const issued = deletes.get(table) ?? new Map<string, { sure: number; maybe: number }>();
    for (const [id, c] of issued) {
      const got = deleteSeen.get(id) ?? 0;
      if (got < c.sure || got > c.sure + c.maybe) badDeletes.push(`${id}: ${got} (expected ${c.sure}..${c.sure + c.maybe})`);
    }
    for (const [id, got] of deleteSeen) if (!issued.has(id)) badDeletes.push(`${id}: ${got} (never issued)`);
    out.push({ table, expected, seen: seen.size, missing, duplicated, unknown, deletes: badDeletes, deleteEvents, skipped });
  }
  return out;
}
