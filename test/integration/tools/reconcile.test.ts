/**
 * `scylla-pg-cdc reconcile` on seeded discrepancies: a table with a clustering key and one with
 * collections and a UDT. The dry run's counts must be exact; after --repair, PostgreSQL must equal
 * ScyllaDB by this test's own comparison (sameRows: no pipeline code, so a conversion bug that
 * reconcile's diff shares with its repair cannot hide), and reconcile must then agree (100 %).
 * ScyllaDB is the emulator (in-process, random port); PostgreSQL is the real one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../../src/metrics/prom-registry.js';
import { refreshAccuracy } from '../../../src/sink/accuracy-gauge.js';
import { startEmulator, type EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { normalise } from '../../chaos/oracle.js';
import { PG_URL, randomName } from '../../helpers/stack-env.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);
const schema = randomName('reconcile');
const ks = randomName('rks');
const dir = mkdtempSync(join(tmpdir(), 'reconcile-'));
let emu: EmulatorHandle;
let scylla: cassandra.Client;
const db = new pg.Client({ connectionString: PG_URL });

interface Report {
  counts: { source_rows: number; target_rows: number; missing_in_target: number; extra_in_target: number; mismatches: number };
  accuracy_percentage: number;
  discrepancies: { missing_in_target: Record<string, unknown>[]; extra_in_target: Record<string, unknown>[]; mismatches: { key: Record<string, unknown>; columns: string[] }[] };
}

async function reconcile(table: string, mode: '--dry-run' | '--repair'): Promise<{ code: number; report: Report }> {
  const reportPath = join(dir, `${table}-${Date.now()}.json`);
  let code = 0;
  try {
    await run(process.execPath, ['--import', 'tsx', MAIN, 'reconcile', '--table', `${ks}.${table}`, mode, '--report', reportPath, '--ranges', '8'], {
      env: { PATH: process.env.PATH ?? '', PG_URL, PG_SCHEMA: schema, SCYLLA_CONTACT_POINTS: emu.contactPoint, SCYLLA_CONSISTENCY: 'ONE' },
      timeout: 120_000,
    });
  } catch (err) {
    code = (err as { code?: number }).code ?? -1;
    if (code !== 3) throw new Error(`reconcile failed (${code}): ${(err as { stderr?: string }).stderr ?? ''}`);
  }
  return { code, report: JSON.parse(readFileSync(reportPath, 'utf8')) as Report };
}

/** How the test compares each column: the oracle's kinds, plus decimals by value, times to the ms, UDTs by field. */
type Kind = Parameters<typeof normalise>[0] | 'decimal' | 'time' | 'udt';
const TABLES: Record<'orders' | 'profiles', { key: string[]; columns: Record<string, Kind> }> = {
  orders: { key: ['customer_id', 'order_id'], columns: { status: 'scalar', total: 'decimal', placed: 'time' } },
  profiles: { key: ['id'], columns: { tags: 'set', attrs: 'map', history: 'list', home: 'udt' } },
};

function canon(kind: Kind, v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (kind === 'decimal')
    return String(v)
      .replace(/(\.\d*?)0+$/, '$1')
      .replace(/\.$/, ''); // 3.30 = 3.300 = 3.3
  if (kind === 'time') return String((v as Date).getTime());
  if (kind === 'udt') return JSON.stringify(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
  return normalise(kind, v);
}

/** Every difference between ScyllaDB (cassandra-driver) and PostgreSQL (pg) for a table: missing, extra, or `key.column scylla≠pg`. */
async function differences(table: keyof typeof TABLES): Promise<string[]> {
  const spec = TABLES[table];
  const key = (r: Record<string, unknown>) => spec.key.map((k) => String(r[k])).join(':');
  const cols = [...spec.key, ...Object.keys(spec.columns)];
  const s = new Map(
    (await scylla.execute(`SELECT ${cols.join(', ')} FROM ${ks}.${table}`, [], { fetchSize: 10_000 })).rows.map((r) => [key(r), r as unknown as Record<string, unknown>]),
  );
  const p = new Map((await db.query<Record<string, unknown>>(`SELECT ${cols.join(', ')} FROM "${schema}".${table}`)).rows.map((r) => [key(r), r]));
  const out = [...s.keys()].filter((k) => !p.has(k)).map((k) => `missing ${k}`);
  out.push(...[...p.keys()].filter((k) => !s.has(k)).map((k) => `extra ${k}`));
  for (const [k, row] of s) {
    const other = p.get(k);
    if (other)
      for (const [c, kind] of Object.entries(spec.columns))
        if (canon(kind, row[c]) !== canon(kind, other[c])) out.push(`${k}.${c} ${canon(kind, row[c])}≠${canon(kind, other[c])}`);
  }
  return out;
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 7 });
  scylla = new cassandra.Client({ contactPoints: [emu.contactPoint], localDataCenter: 'datacenter1' });
  await scylla.connect();
  await scylla.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await scylla.execute(`CREATE TYPE ${ks}.address (street text, zip int)`);
  await scylla.execute(
    `CREATE TABLE ${ks}.orders (customer_id uuid, order_id int, status text, total decimal, placed timestamp, PRIMARY KEY (customer_id, order_id)) WITH cdc = {'enabled': true}`,
  );
  await scylla.execute(
    `CREATE TABLE ${ks}.profiles (id int PRIMARY KEY, tags set<text>, attrs map<text, int>, history list<int>, home frozen<address>) WITH cdc = {'enabled': true}`,
  );
  const customers = Array.from({ length: 10 }, () => cassandra.types.Uuid.random());
  for (const [ci, c] of customers.entries()) {
    for (let o = 0; o < 5; o++) {
      await scylla.execute(
        `INSERT INTO ${ks}.orders (customer_id, order_id, status, total, placed) VALUES (?, ?, ?, ?, ?)`,
        [c, o, `s${ci}-${o}`, cassandra.types.BigDecimal.fromString(`${ci}.${o}0`), new Date(1_700_000_000_000 + ci * 1000 + o)],
        { prepare: true },
      );
    }
  }
  for (let id = 0; id < 30; id++) {
    await scylla.execute(
      `INSERT INTO ${ks}.profiles (id, tags, attrs, history, home) VALUES (?, ?, ?, ?, ?)`,
      [id, [`t${id}`, 'all'], { a: id, b: 2 }, [id, id + 1, id], { street: `street ${id}`, zip: 1000 + id }],
      { prepare: true },
    );
  }
  await db.connect();
  // The first repair creates the tables and fills them: from here PostgreSQL equals ScyllaDB.
  // 10 customers × 5 orders and 30 profiles, all missing before the first repair.
  for (const [t, rows] of [
    ['orders', 50],
    ['profiles', 30],
  ] as const)
    expect((await reconcile(t, '--repair')).report.counts.missing_in_target).toBe(rows);
  expect(await differences('orders')).toEqual([]);
  expect(await differences('profiles')).toEqual([]);
});

afterAll(async () => {
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
  await scylla.shutdown();
  await emu.close();
});

describe('scylla-pg-cdc reconcile', () => {
  it('finds nothing on equal tables', async () => {
    const { code, report } = await reconcile('orders', '--dry-run');
    expect(code).toBe(0);
    expect(report.counts).toMatchObject({ source_rows: 50, target_rows: 50, missing_in_target: 0, extra_in_target: 0, mismatches: 0 });
    expect(report.accuracy_percentage).toBe(100);
  });

  it('counts missing, extra and mismatched rows exactly in a clustered table, and repairs them', async () => {
    const t = `"${schema}".orders`;
    await db.query(`DELETE FROM ${t} WHERE order_id = 4`); // 10 missing
    await db.query(`INSERT INTO ${t} (customer_id, order_id, status) SELECT customer_id, 99, 'ghost' FROM ${t} WHERE order_id = 0 LIMIT 3`); // 3 extra
    await db.query(`UPDATE ${t} SET status = 'tampered' WHERE order_id = 1`); // 10 mismatched (status)
    await db.query(
      `UPDATE ${t} SET total = total + 0.01, placed = placed + interval '1 ms' WHERE order_id = 2 AND customer_id IN (SELECT customer_id FROM ${t} WHERE order_id = 2 LIMIT 2)`,
    ); // 2 more (columns come in ScyllaDB's metadata order: placed, status, total)
    await db.query(`UPDATE ${t} SET total = total * 1.000 WHERE order_id = 3`); // same numeric value, other scale: not a mismatch

    const dry = await reconcile('orders', '--dry-run');
    expect(dry.code).toBe(3);
    expect(dry.report.counts).toMatchObject({ source_rows: 50, target_rows: 43, missing_in_target: 10, extra_in_target: 3, mismatches: 12 });
    expect(dry.report.accuracy_percentage).toBeCloseTo((28 / 53) * 100, 6);
    expect(dry.report.discrepancies.missing_in_target.every((k) => k.order_id === 4)).toBe(true);
    expect(dry.report.discrepancies.extra_in_target.every((k) => k.order_id === 99)).toBe(true);
    const byOrder = dry.report.discrepancies.mismatches.map((m) => [m.key.order_id, m.columns.join(',')]);
    expect(byOrder.filter(([o]) => o === 1).every(([, c]) => c === 'status')).toBe(true);
    expect(byOrder.filter(([o]) => o === 2).every(([, c]) => c === 'placed,total')).toBe(true);

    expect(await differences('orders')).toHaveLength(10 + 3 + 10 + 2 * 2); // one line per differing column: placed and total on 2 rows
    const fix = await reconcile('orders', '--repair');
    expect(fix.code).toBe(0);
    expect(await differences('orders')).toEqual([]);
    const after = await reconcile('orders', '--dry-run');
    expect(after.report.accuracy_percentage).toBe(100);
    expect(after.report.counts.target_rows).toBe(50);
  });

  it('compares collections and UDTs by value, and repairs them', async () => {
    const t = `"${schema}".profiles`;
    // Set order and map key order are not differences; an element is.
    const orderOnly = await db.query(`UPDATE ${t} SET tags = ARRAY(SELECT x FROM unnest(tags) x ORDER BY x DESC) WHERE id < 5`);
    expect(orderOnly.rowCount).toBe(5);
    await db.query(`UPDATE ${t} SET tags = array_append(tags, 'extra') WHERE id IN (5, 6)`); // 2 mismatched (set)
    await db.query(`UPDATE ${t} SET history = array_append(history, 0) WHERE id = 7`); // 1 mismatched (list)
    await db.query(`UPDATE ${t} SET attrs = attrs || '{"c": 3}'::jsonb WHERE id = 8`); // 1 mismatched (map)
    await db.query(`UPDATE ${t} SET home = jsonb_set(home, '{zip}', '0') WHERE id = 9`); // 1 mismatched (UDT)
    await db.query(`DELETE FROM ${t} WHERE id >= 28`); // 2 missing

    const dry = await reconcile('profiles', '--dry-run');
    expect(dry.report.counts).toMatchObject({ source_rows: 30, target_rows: 28, missing_in_target: 2, extra_in_target: 0, mismatches: 5 });
    const cols = Object.fromEntries(dry.report.discrepancies.mismatches.map((m) => [String(m.key.id), m.columns.join(',')]));
    expect(cols).toEqual({ 5: 'tags', 6: 'tags', 7: 'history', 8: 'attrs', 9: 'home' });

    expect(await differences('profiles')).toHaveLength(2 + 5);
    await reconcile('profiles', '--repair');
    expect(await differences('profiles')).toEqual([]);
    expect((await reconcile('profiles', '--dry-run')).report.accuracy_percentage).toBe(100);
  });

  it('repair never overwrites a change newer than the reconcile (version guard)', async () => {
    const t = `"${schema}".orders`;
    // A change the pipeline applied "later" than any reconcile: a far-future write time.
    const upd = await db.query(`UPDATE ${t} SET status = 'newer', _cdc_ts_us = 9000000000000000000 WHERE order_id = 0`);
    expect(upd.rowCount).toBe(10);
    const fix = await reconcile('orders', '--repair');
    expect(fix.report.counts, JSON.stringify(fix.report)).toMatchObject({ mismatches: 10 });
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${t} WHERE status = 'newer'`);
    expect(rows[0].n).toBe(10);
  });

  it('--all-tables reconciles every table of SCYLLA_TABLES; status lists the runs; the sink gauge follows the latest', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      PG_URL,
      PG_SCHEMA: schema,
      SCYLLA_CONTACT_POINTS: emu.contactPoint,
      SCYLLA_CONSISTENCY: 'ONE',
      SCYLLA_TABLES: `${ks}.orders,${ks}.profiles`,
    };
    // Equal again after the version-guard test left 10 'newer' rows: an old write time lets repair fix them.
    await db.query(`UPDATE "${schema}".orders SET _cdc_ts_us = 0, _cdc_cts = NULL WHERE status = 'newer'`);
    await reconcile('orders', '--repair');
    const all = await run(process.execPath, ['--import', 'tsx', MAIN, 'reconcile', '--all-tables', '--dry-run', '--ranges', '8'], { env, timeout: 120_000 });
    expect(
      all.stdout
        .split('\n')
        .filter((l) => /accuracy 100\.000%/.test(l))
        .map((l) => l.split(':')[0])
        .sort(),
    ).toEqual([`${ks}.orders`, `${ks}.profiles`]);

    const status = await run(process.execPath, ['--import', 'tsx', MAIN, 'reconcile', 'status', '--limit', '2', '--json'], { env, timeout: 60_000 });
    const runs = JSON.parse(status.stdout) as { table_name: string; mode: string; accuracy: number; source_rows: string }[];
    expect(runs.map((r) => [r.table_name, r.mode, r.accuracy, String(r.source_rows)]).sort()).toEqual([
      ['orders', 'dry-run', 100, '50'],
      ['profiles', 'dry-run', 100, '30'],
    ]); // tables by bare name, as the metrics label them
    const text = await run(process.execPath, ['--import', 'tsx', MAIN, 'reconcile', 'status', '--limit', '1'], { env, timeout: 60_000 });
    expect(text.stdout).toMatch(/^\S+Z {2}\S+ +dry-run accuracy 100\.000% {2}source \d+, target \d+, missing 0, extra 0, mismatched 0\n$/);

    // The sink's cdc_data_accuracy_percentage{table} comes from the latest run of each table.
    const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
    try {
      await db.query(`DELETE FROM "${schema}".orders WHERE order_id = 4 AND customer_id IN (SELECT customer_id FROM "${schema}".orders WHERE order_id = 4 LIMIT 1)`);
      expect((await reconcile('orders', '--dry-run')).code).toBe(3);
      await refreshAccuracy(pool, schema);
      const gauge = (await registry.getMetricsAsJSON()).find((m) => m.name === 'cdc_data_accuracy_percentage');
      const byTable = Object.fromEntries((gauge?.values ?? []).map((v) => [v.labels.table, v.value]));
      expect(byTable).toEqual({ orders: (49 / 50) * 100, profiles: 100 });
    } finally {
      await pool.end();
      await reconcile('orders', '--repair');
    }
  });
});
