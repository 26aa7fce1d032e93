/**
 * The two apply paths end in the same rows (docs/sink.md, "Two apply paths"). Random histories of
 * one clustered table (whole-row INSERTs, some older than what is stored or at the same time, partial
 * UPDATEs, set deltas, TTLs, row deletes, range and partition deletes) are written batch by batch
 * through the real PgWriter twice, on real PostgreSQL: with SINK_APPLY_PATH=auto (plain rows by
 * INSERT … ON CONFLICT) into one schema and with SINK_APPLY_PATH=merge (the per-cell MERGE alone)
 * into another. Every column of every row, the bookkeeping columns included, and the tombstone
 * tables must be equal, in hard and soft delete mode, over stored rows the sink did not write
 * (no `_cdc_cts`, entries of a column the schema does not know, stored expiries).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseCqlType } from '../../../src/schema/cql-type.js';
import { envelopeSchema, keySchema } from '../../../src/schema/cql-to-avro.js';
import { DEFAULT_CDC_OPTIONS, type TableModel } from '../../../src/schema/table-model.js';
import { deriveTableShape } from '../../../src/sink/core/table-shape.js';
import { foldChanges } from '../../../src/sink/core/fold.js';
import { TableManager } from '../../../src/sink/table-manager.js';
import { PgWriter } from '../../../src/sink/pg-writer.js';
import { OffsetStore } from '../../../src/sink/offset-store.js';
import { createLogger } from '../../../src/log/logger.js';
import { registry } from '../../../src/metrics/prom-registry.js';
import type { TargetTable } from '../../../src/sink/core/target-table.js';
import type { CellChange, RowChange } from '../../../src/sink/core/types.js';
import { Rng } from '../../chaos/prng.js';

const prng = (seed: number) => {
  const r = new Rng(seed);
  return () => r.next();
};
import { pgPool, query, randomName } from './sink-harness.js';

const T = 1_700_000_000_000_000;
const cols: [string, string, 'partition_key' | 'clustering' | 'regular'][] = [
  ['pk', 'text', 'partition_key'],
  ['ck', 'int', 'clustering'],
  ['a', 'text', 'regular'],
  ['b', 'bigint', 'regular'],
  ['s', 'set<text>', 'regular'],
];
const model: TableModel = {
  keyspace: 'ks',
  table: 'items',
  columns: cols.map(([name, type, kind]) => ({ name, kind, type: parseCqlType(type) })),
  partitionKey: ['pk'],
  clusteringKey: ['ck'],
  clusteringOrder: ['ASC'],
  cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
};
const shape = { ...deriveTableShape(keySchema(model) as never, envelopeSchema(model) as never).shape, keyspace: 'ks', table: 'items' };
const schemas: string[] = [];

async function insertRows(): Promise<number> {
  const text = await registry.getSingleMetricAsString('cdc_sink_apply_rows_total');
  const m = /path="insert"} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A random history: changes in Kafka order, each at a write time mostly rising, sometimes older or equal. */
function history(seed: number, n: number): RowChange[] {
  const rand = prng(seed);
  const pick = <X>(xs: X[]) => xs[Math.floor(rand() * xs.length)]!;
  const out: RowChange[] = [];
  let clock = T;
  const word = () => pick(['x', 'y', 'z', 'w']);
  for (let i = 0; i < n; i++) {
    clock += 10;
    const r = rand();
    const ts = String(r < 0.15 ? clock - Math.floor(rand() * 300) : r < 0.2 ? clock - 10 : clock);
    const pk = pick(['p0', 'p1']);
    const ck = String(Math.floor(rand() * 5));
    const base = { ref: { topic: 't', partition: 0, offset: String(i) }, tsUs: ts, seq: 0, bytes: 100 };
    const kind = rand();
    if (kind < 0.45) {
      const cells: Record<string, CellChange> = {
        a: { m: 'set', value: rand() < 0.1 ? null : `a${i}` },
        b: { m: 'set', value: String(i) },
        s: { m: 'set', value: `{${word()},${word()}}` },
      };
      const ttl = rand() < 0.1 ? String(BigInt(ts) + 5_000_000n) : undefined;
      out.push({ ...base, kind: 'upsert', op: 'c', key: [pk, ck], cells, ...(ttl ? { expiry: { cells: { a: ttl, b: ttl }, marker: ttl } } : {}) });
    } else if (kind < 0.65) {
      const cells: Record<string, CellChange> = rand() < 0.5 ? { a: { m: 'set', value: `u${i}` } } : { s: { m: 'modify', add: `{${word()}}`, remove: `{${word()}}` } };
      out.push({ ...base, kind: 'upsert', op: 'u', key: [pk, ck], cells });
    } else if (kind < 0.8) {
      out.push({ ...base, kind: 'delete', op: 'd', key: [pk, ck], cells: {} });
    } else if (kind < 0.92) {
      const lo = Math.floor(rand() * 5);
      const range = { start: { values: [String(lo)], inclusive: rand() < 0.5 }, end: { values: [String(lo + 1)], inclusive: rand() < 0.5 } };
      out.push({ ...base, kind: 'range_delete', op: 'd', key: [pk, null], cells: {}, range });
    } else {
      out.push({ ...base, kind: 'partition_delete', op: 'd', key: [pk, null], cells: {} });
    }
  }
  return out;
}

/** Rows the sink did not write, the same in both schemas: no `_cdc_cts`, a column the schema does not know, a stored expiry. */
async function seed(t: TargetTable): Promise<void> {
  const tbl = `"${t.schema}"."${t.table}"`;
  await pgPool.query(`ALTER TABLE ${tbl} ADD COLUMN IF NOT EXISTS z text`);
  await pgPool.query(`INSERT INTO ${tbl} (pk, ck, a, b, z, _cdc_ts_us, _cdc_cts, _cdc_cexp, _cdc_expires_at) VALUES
    ('p0', 0, 'old', 1, 'zz', ${T + 200}, NULL, NULL, NULL),
    ('p0', 1, 'tool', NULL, NULL, NULL, NULL, NULL, NULL),
    ('p1', 0, 'cts', 2, 'zz', ${T + 300}, '{"z": ${T + 250}, "b": ${T + 100}}', '{"a": ${T + 9_000_000}, "z": ${T + 9_000_000}}', TIMESTAMPTZ 'epoch' + ${T + 9_000_000} * INTERVAL '1 microsecond')`);
}

async function setUp(mode: 'hard' | 'soft'): Promise<{ auto: TargetTable; merge: TargetTable }> {
  const out: TargetTable[] = [];
  for (const path of ['auto', 'merge']) {
    const schema = randomName(`sink_paths_${path}`);
    schemas.push(schema);
    const tm = new TableManager(pgPool, schema, { autoCreate: true, autoEvolve: true, deleteMode: mode }, createLogger('sink', 'silent'));
    await tm.init();
    const t = await tm.target('items', shape);
    await seed(t);
    out.push(t);
  }
  expect(out[0]!.onConflictKey).toBe(true);
  return { auto: out[0]!, merge: out[1]! };
}

async function contents(t: TargetTable): Promise<unknown[]> {
  const s = `"${t.schema}"`;
  return [
    await query(`SELECT * FROM ${s}.items ORDER BY pk, ck`),
    await query(`SELECT * FROM ${s}."_cdc_tombstones_items" ORDER BY pk, ck`),
    await query(`SELECT * FROM ${s}."_cdc_range_tombstones_items" ORDER BY pk, "_cdc_bounds"`),
  ];
}

describe('apply paths: INSERT … ON CONFLICT for plain rows ends where the MERGE alone ends', () => {
  afterAll(async () => {
    for (const s of schemas) await pgPool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await pgPool.end();
  });

  for (const mode of ['hard', 'soft'] as const) {
    it(`random histories, ${mode} deletes`, async () => {
      const writers = {
        auto: new PgWriter(pgPool, new OffsetStore('public', 'none'), { synchronousCommit: 'on', applyPath: 'auto' }),
        merge: new PgWriter(pgPool, new OffsetStore('public', 'none'), { synchronousCommit: 'on', applyPath: 'merge' }),
      };
      const before = await insertRows();
      for (const seedNo of [1, 2, 3, 4]) {
        const targets = await setUp(mode);
        const changes = history(seedNo * 7 + (mode === 'soft' ? 1 : 0), 400);
        const rand = prng(seedNo);
        for (let i = 0; i < changes.length;) {
          const batch = changes.slice(i, i + 1 + Math.floor(rand() * 40));
          i += batch.length;
          const { steps } = foldChanges(batch);
          for (const path of ['auto', 'merge'] as const) {
            const r = await writers[path].write({ target: targets[path], steps, offsets: [], deadLetter: async () => undefined });
            expect(r.failed).toEqual([]);
          }
          // After every batch: a later whole-row write would hide a divergence from the end state.
          expect(await contents(targets.auto), `seed ${seedNo}, after change ${i}`).toEqual(await contents(targets.merge));
        }
        expect((await query(`SELECT 1 FROM "${targets.auto.schema}".items`)).length, 'rows survive the history').toBeGreaterThan(0);
      }
      // The plain path was taken, or the comparison above compared the MERGE with itself.
      expect(await insertRows()).toBeGreaterThan(before + 100);
    });
  }
});
