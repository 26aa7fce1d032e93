/**
 * The chaos run's independent verdict: ScyllaDB read through cassandra-driver, PostgreSQL through pg,
 * each value normalised by this file alone (no pipeline code: not its type mapping, not its Avro
 * conversion, not reconcile's diff), plus the workload's own model of which keys are live with which
 * `n`. A conversion bug shared by the source, the sink and reconcile shows here.
 */
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import type { TableName } from './workload.js';

type Kind = 'scalar' | 'bigint' | 'set' | 'list' | 'map';

/** The workload's tables (workload.ts schemaCql), column by column, with how to compare each. */
const TABLE_SPECS: Record<TableName, { key: string[]; columns: Record<string, Kind> }> = {
  users: { key: ['id'], columns: { name: 'scalar', email: 'scalar', score: 'bigint', tags: 'set', n: 'scalar', nickname: 'scalar' } },
  events: { key: ['pk', 'ck'], columns: { v: 'scalar', amount: 'scalar', attrs: 'map', n: 'scalar' } },
  items: { key: ['id'], columns: { v: 'scalar', history: 'list', n: 'scalar' } },
};

/**
 * One canonical JSON text per value. Empty collections are null (ScyllaDB stores an empty
 * collection as no cell at all); sets and map keys are sorted; 64-bit integers compare as decimal
 * text (the driver gives a Long, pg a string); doubles as JavaScript numbers (both drivers parse the
 * shortest round-trip text, so equal doubles compare equal).
 */
export function normalise(kind: Kind, v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (kind) {
    case 'bigint':
      return JSON.stringify(String(v));
    case 'set':
    case 'list': {
      const arr = [...(v as Iterable<unknown>)].map((x) => (typeof x === 'object' && x !== null ? String(x) : x));
      if (arr.length === 0) return 'null';
      return JSON.stringify(kind === 'set' ? arr.map((x) => JSON.stringify(x)).sort() : arr);
    }
    case 'map': {
      const entries = v instanceof Map ? [...(v as Map<unknown, unknown>)] : Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) return 'null';
      return JSON.stringify(entries.map(([k, x]) => [String(k), x]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    }
    default:
      return JSON.stringify(typeof v === 'object' ? String(v) : v);
  }
}

export interface OracleVerdict {
  table: TableName;
  scyllaRows: number;
  pgRows: number;
  /** Keys live in ScyllaDB but not in PostgreSQL, and the reverse. */
  missing: string[];
  extra: string[];
  /** `key.column: scylla=… pg=…` */
  differing: string[];
  /** Keys where the workload's model disagrees with ScyllaDB (live keys, `n`). */
  model: string[];
}

const keyText = (spec: { key: string[] }, row: Record<string, unknown>) => spec.key.map((k) => String(row[k])).join(':');

async function scyllaRows(client: cassandra.Client, ks: string, table: TableName): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  const spec = TABLE_SPECS[table];
  let pageState: string | undefined;
  do {
    const res = await client.execute(`SELECT * FROM ${ks}.${table}`, [], { prepare: true, fetchSize: 2000, ...(pageState ? { pageState } : {}) });
    for (const r of res.rows) {
      const row: Record<string, unknown> = {};
      for (const c of res.columns) row[c.name] = r.get(c.name);
      out.set(keyText(spec, row), row);
    }
    pageState = res.pageState ?? undefined;
  } while (pageState);
  return out;
}

async function pgRows(pool: pg.Pool, schema: string, table: TableName): Promise<Map<string, Record<string, unknown>>> {
  const spec = TABLE_SPECS[table];
  const present = new Set(
    (await pool.query<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, table])).rows.map((r) => r.c),
  );
  const cols = [...spec.key, ...Object.keys(spec.columns).filter((c) => present.has(c))];
  const res = await pool.query<Record<string, unknown>>(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${schema}"."${table}"`);
  return new Map(res.rows.map((r) => [keyText(spec, r), r]));
}

export async function oracle(client: cassandra.Client, pool: pg.Pool, ks: string, schema: string, table: TableName, model: Map<string, number>): Promise<OracleVerdict> {
  const spec = TABLE_SPECS[table];
  const [s, p] = await Promise.all([scyllaRows(client, ks, table), pgRows(pool, schema, table)]);
  const missing = [...s.keys()].filter((k) => !p.has(k));
  const extra = [...p.keys()].filter((k) => !s.has(k));
  const differing: string[] = [];
  for (const [k, srow] of s) {
    const prow = p.get(k);
    if (!prow) continue;
    for (const [col, kind] of Object.entries(spec.columns)) {
      const a = normalise(kind, srow[col]);
      const b = normalise(kind, prow[col]);
      if (a !== b) differing.push(`${k}.${col}: scylla=${a} pg=${b}`);
    }
  }
  const modelProblems: string[] = [];
  for (const [k, n] of model) {
    const row = s.get(k);
    if (!row) modelProblems.push(`${k}: model has n=${n}, ScyllaDB has no row`);
    else if (row.n !== n) modelProblems.push(`${k}: model has n=${n}, ScyllaDB n=${String(row.n)}`);
  }
  for (const k of s.keys()) if (!model.has(k)) modelProblems.push(`${k}: live in ScyllaDB, deleted (or never written) in the model`);
  return { table, scyllaRows: s.size, pgRows: p.size, missing, extra, differing, model: modelProblems };
}
