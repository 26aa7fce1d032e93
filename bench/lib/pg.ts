import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import type { ExpectedState, Workload } from '../workloads/types.js';

export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/warehouse';

export function pgClient(): pg.Client {
  return new pg.Client({ connectionString: PG_URL, application_name: 'scylla-pg-cdc-bench' });
}

export const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * Applies `lanes` in parallel, one connection each (`setup` once per connection), `batchSize` items
 * per transaction: the COPY text of a batch (`line` per item) goes to `copySql`, then `after` (if
 * any) runs in the same transaction. Returns the seconds it took. Used by the ceiling and copy-limit.
 */
export async function copyLanes<T>(lanes: T[][], o: { batchSize: number; copySql: string; line: (item: T) => string; setup?: string; after?: string }): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      const c = pgClient();
      await c.connect();
      try {
        if (o.setup) await c.query(o.setup);
        for (let i = 0; i < lane.length; i += o.batchSize) {
          const batch = lane.slice(i, i + o.batchSize);
          await c.query('BEGIN');
          await pipeline(
            Readable.from(
              (function* () {
                for (const item of batch) yield o.line(item);
              })(),
            ),
            c.query(pgCopy.from(o.copySql)),
          );
          if (o.after) await c.query(o.after);
          await c.query('COMMIT');
        }
      } finally {
        await c.end().catch(() => undefined);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

export async function withPg<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = pgClient();
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function createSchema(schema: string): Promise<void> {
  await withPg((c) => c.query(`CREATE SCHEMA IF NOT EXISTS ${qi(schema)}`));
}

export async function dropSchemas(prefix: string): Promise<void> {
  if (!/^bench_[0-9a-f]{8}/.test(prefix)) throw new Error(`refusing to drop schemas with prefix ${prefix}`);
  await withPg(async (c) => {
    const r = await c.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${prefix}%`]);
    for (const { nspname } of r.rows) await c.query(`DROP SCHEMA IF EXISTS ${qi(nspname)} CASCADE`);
  });
}

export interface TargetProgress {
  exists: boolean;
  rows: number;
  seqSum: bigint;
}

/** Rows and sum(seq) of a target table, or exists=false before the consumer created it. */
export async function readProgress(c: pg.Client, schema: string, table: string): Promise<TargetProgress> {
  const t = await c.query(`SELECT to_regclass($1) AS r`, [`${qi(schema)}.${qi(table)}`]);
  if (!t.rows[0]?.r) return { exists: false, rows: 0, seqSum: 0n };
  const r = await c.query<{ n: string; s: string }>(`SELECT count(*)::text AS n, coalesce(sum(seq), 0)::text AS s FROM ${qi(schema)}.${qi(table)}`);
  return { exists: true, rows: Number(r.rows[0]!.n), seqSum: BigInt(r.rows[0]!.s) };
}

export function isDone(p: TargetProgress, e: ExpectedState): boolean {
  return p.exists && p.rows === e.rows && p.seqSum === e.seqSum;
}

export async function serverVersion(): Promise<string> {
  return withPg(async (c) => (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v);
}

/** PostgreSQL column type the ceiling uses for a CQL type (mirrors docs/type-map.md). */
export function pgTypeOf(cql: string): string {
  const t = cql.replace(/\s+/g, '');
  const m = /^(list|set)<(.+)>$/.exec(t);
  if (m) return `${pgTypeOf(m[2]!)}[]`;
  if (t.startsWith('map<') || t.startsWith('frozen<') || t.startsWith('tuple<')) return 'jsonb';
  switch (t) {
    case 'uuid':
    case 'timeuuid':
      return 'uuid';
    case 'text':
    case 'varchar':
    case 'ascii':
      return 'text';
    case 'timestamp':
      return 'timestamptz';
    case 'bigint':
    case 'counter':
      return 'bigint';
    case 'int':
      return 'integer';
    case 'smallint':
    case 'tinyint':
      return 'smallint';
    case 'double':
      return 'double precision';
    case 'float':
      return 'real';
    case 'boolean':
      return 'boolean';
    case 'blob':
      return 'bytea';
    case 'decimal':
    case 'varint':
      return 'numeric';
    default:
      return 'text';
  }
}

export function createTableSql(w: Workload, schema: string, table = w.table): string {
  const cols = w.columns.map((c) => `${qi(c.name)} ${pgTypeOf(c.cql)}`);
  const pk = w.columns.filter((c) => c.kind !== 'regular').map((c) => qi(c.name));
  return `CREATE TABLE ${qi(schema)}.${qi(table)} (${cols.join(', ')}, PRIMARY KEY (${pk.join(', ')}))`;
}

// --- COPY text format ---------------------------------------------------------------------------

function escapeCopy(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function arrayLiteral(items: unknown[]): string {
  return `{${items.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;
}

/** One value in COPY text format (already escaped), `\N` for null/undefined. */
export function copyValue(cql: string, v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const t = cql.replace(/\s+/g, '');
  if (t.startsWith('list<') || t.startsWith('set<')) return escapeCopy(arrayLiteral([...(v as Iterable<unknown>)]));
  if (t.startsWith('map<')) {
    const o = v instanceof Map ? Object.fromEntries(v) : v;
    return escapeCopy(JSON.stringify(o));
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return escapeCopy(String(v));
}

/**
 * Rows whose user-visible columns differ between a consumer's target and the ceiling's (the
 * expected final state), in either direction. Values are cast to the ceiling's column types, so a
 * consumer that stores uuid as text or timestamps without time zone still compares by value. This
 * is what catches a sink that reaches the right row count and sum(seq) with wrong contents (e.g.
 * partial updates that NULL the untouched columns).
 */
export async function differingRows(schema: string, table: string, expectedSchema: string, columns: string[]): Promise<number> {
  return withPg(async (c) => {
    const types = await c.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
      [`${qi(expectedSchema)}.${qi(table)}`],
    );
    const typeOf = new Map(types.rows.map((r) => [r.name, r.type]));
    const cols = columns.filter((n) => typeOf.has(n));
    const sel = (s: string) => `SELECT ${cols.map((n) => `CAST(${qi(n)} AS ${typeOf.get(n)}) AS ${qi(n)}`).join(', ')} FROM ${qi(s)}.${qi(table)}`;
    const r = await c.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ((${sel(schema)} EXCEPT ALL ${sel(expectedSchema)}) UNION ALL (${sel(expectedSchema)} EXCEPT ALL ${sel(schema)})) d`,
    );
    return Number(r.rows[0]!.n);
  });
}

/**
 * Writes the workload's expected final state — changes folded per key the way ScyllaDB applies
 * them (an insert sets its cells, an update merges its cells into the row, a delete removes it) —
 * into `<schema>.<table>`, for differingRows. The ceiling's table is not that state: it keeps only
 * the last change per key within a batch, which drops an insert's other columns when an update of
 * the same key follows in the same batch.
 */
/** The table's final rows after every change in order: partial updates merge, deletes remove. */
export function finalRows(
  changes: { op: string; key: Record<string, unknown>; cells: Record<string, unknown> | null }[],
  keyOf: (key: Record<string, unknown>) => string,
): Map<string, Record<string, unknown>> {
  const rows = new Map<string, Record<string, unknown>>();
  for (const ch of changes) {
    const k = keyOf(ch.key);
    if (ch.op === 'd') rows.delete(k);
    else rows.set(k, { ...(rows.get(k) ?? {}), ...ch.key, ...(ch.cells ?? {}) });
  }
  return rows;
}

export async function loadExpectedState(
  w: Workload,
  changes: { op: string; key: Record<string, unknown>; cells: Record<string, unknown> | null; seq: number }[],
  schema: string,
  keyOf: (key: Record<string, unknown>) => string,
): Promise<void> {
  const rows = finalRows(changes, keyOf);
  await withPg(async (c) => {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${qi(schema)}`);
    await c.query(createTableSql(w, schema));
    const lines = function* () {
      for (const row of rows.values()) yield `${w.columns.map((col) => copyValue(col.cql, row[col.name])).join('\t')}\n`;
    };
    await pipeline(Readable.from(lines()), c.query(pgCopy.from(`COPY ${qi(schema)}.${qi(w.table)} (${w.columns.map((col) => qi(col.name)).join(', ')}) FROM STDIN`)));
  });
}
