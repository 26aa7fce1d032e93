/**
 * A seeded change stream (inserts, partial updates, deletes, re-inserts) over a keyed table with its
 * expected end state, for the fault and crash tests. Table: key `id` bigint; `n` = the 1-based index
 * of the key's change that last wrote the row (a per-row change counter: the final `n` of a live row
 * is the number of changes of its key); `a` text and `b` bigint are updated partially.
 */
import type pg from 'pg';
import { pgPool, topicFixture, type TopicFixture } from './sink-harness.js';

export const workloadSpec = {
  key: [{ name: 'id', type: 'long' }],
  columns: [
    { name: 'n', type: 'long' },
    { name: 'a', type: 'string' },
    { name: 'b', type: 'long' },
  ],
};

export interface Row {
  id: string;
  n: string;
  a: string | null;
  b: string | null;
}

export interface Workload {
  messages: { key: Buffer; value: Buffer; partition: number }[];
  /** Expected rows ordered by id. */
  expected: Row[];
  /** Changes per partition (= the final stored offsets). */
  perPartition: number[];
  /** Every change in production order: its key, write time (unique per change) and op. */
  log: { id: number; tsUs: number; op: 'c' | 'u' | 'd' }[];
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildWorkload(fx: TopicFixture, opts: { keys: number; changes: number; partitions: number; seed: number; t0?: number }): Workload {
  const rand = rng(opts.seed);
  const t0 = opts.t0 ?? 1_700_000_000_000_000;
  const state = new Map<number, { n: number; a: string | null; b: number | null } | null>();
  const count = new Map<number, number>();
  const messages: Workload['messages'] = [];
  const perPartition = new Array<number>(opts.partitions).fill(0);
  const log: Workload['log'] = [];
  for (let i = 0; i < opts.changes; i++) {
    const k = Math.floor(rand() * opts.keys);
    const idx = (count.get(k) ?? 0) + 1;
    count.set(k, idx);
    const ts = t0 + i; // globally increasing: per key strictly increasing
    const cur = state.get(k) ?? null;
    const partition = k % opts.partitions;
    perPartition[partition]!++;
    const r = rand();
    let enc;
    if (cur === null) {
      const row = { n: idx, a: `a${i}`, b: i };
      state.set(k, row);
      enc = fx.encode({ op: 'c', key: { id: k }, after: { n: { value: idx }, a: { value: row.a }, b: { value: row.b } }, tsUs: ts });
    } else if (r < 0.1) {
      state.set(k, null);
      enc = fx.encode({ op: 'd', key: { id: k }, tsUs: ts });
    } else {
      const after: Record<string, unknown> = { n: { value: idx } };
      cur.n = idx;
      if (r < 0.55) {
        cur.a = r < 0.15 ? null : `u${i}`;
        after.a = { value: cur.a };
      } else {
        cur.b = i;
        after.b = { value: i };
      }
      enc = fx.encode({ op: 'u', key: { id: k }, after, tsUs: ts });
    }
    messages.push({ ...enc, partition });
    log.push({ id: k, tsUs: ts, op: cur === null ? 'c' : r < 0.1 ? 'd' : 'u' });
  }
  const expected: Row[] = [];
  for (const [id, row] of [...state].sort((x, y) => x[0] - y[0])) {
    if (row) expected.push({ id: String(id), n: String(row.n), a: row.a, b: row.b === null ? null : String(row.b) });
  }
  return { messages, expected, perPartition, log };
}

/** Pre-creates the target table (so the audit trigger exists before the first change). */
export async function createWorkloadTable(schema: string, table: string, db: pg.Pool = pgPool): Promise<void> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await db.query(`CREATE TABLE "${schema}"."${table}" (id bigint PRIMARY KEY, n bigint, a text, b bigint, _cdc_ts_us bigint, _cdc_cts jsonb)`);
}

export async function workloadFixture(partitions: number) {
  return topicFixture(workloadSpec, partitions);
}

export async function tableRows(schema: string, table: string, db: pg.Pool = pgPool): Promise<Row[]> {
  return (await db.query<Row>(`SELECT t.id::text AS id, t.n::text AS n, t.a, t.b::text AS b FROM "${schema}"."${table}" AS t ORDER BY t.id`)).rows;
}
