// Places where the emulator once differed from ScyllaDB, one case each, checked against the
// upstream file/test named in the case title (scylladb/scylladb master, 2026).
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRows, startHarness, strip, uniqueName, type Harness } from './harness.js';

const KS = 'fid';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: 11 });
  await h.client.execute(`CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await h.client.execute(`CREATE TYPE ${KS}.ut (a int, b int, c int)`);
});
afterAll(async () => {
  await h.close();
});

async function table(opts = "{'enabled': true}"): Promise<string> {
  const t = uniqueName('t');
  await h.client.execute(`CREATE TABLE ${KS}.${t} (pk int, ck int, v int, u ut, PRIMARY KEY (pk, ck)) WITH cdc = ${opts}`);
  return t;
}

async function run(t: string, ...stmts: string[]): Promise<Record<string, unknown>[]> {
  for (const s of stmts) await h.client.execute(s.replace(/\bt\b/g, `${KS}.${t}`));
  return logRows(h.client, KS, t);
}

const ops = (rows: Record<string, unknown>[]): unknown[] => rows.map((r) => r['operation']);

async function cdcExtension(t: string): Promise<Record<string, string>> {
  const rs = await h.client.execute('SELECT extensions FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [KS, t], { prepare: true });
  const blob = (rs.rows[0]!['extensions'] as Record<string, Buffer>)['cdc']!;
  const out: Record<string, string> = {};
  let off = 4;
  const str = (): string => {
    const len = blob.readInt32LE(off);
    off += 4;
    const s = blob.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < blob.readInt32LE(0); i++) {
    const k = str();
    out[k] = str();
  }
  return out;
}

async function logColumns(t: string): Promise<string[]> {
  const rs = await h.client.execute('SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [KS, `${t}_scylla_cdc_log`], { prepare: true });
  return rs.rows.map((r) => r['column_name'] as string).sort();
}

describe('tablets (points 1, 2)', () => {
  let ht: Harness;
  beforeAll(async () => {
    ht = await startHarness({ seed: 12, tablets: true, initialTablets: 2 });
    await ht.client.execute("CREATE KEYSPACE tk WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1} AND tablets = {'enabled': true}");
  });
  afterAll(async () => {
    await ht.close();
  });

  it('cdc_test.cc test_cdc_log_schema: a tablets log table has the vnodes column set, no cdc$closed_time or other static column', async () => {
    await ht.client.execute("CREATE KEYSPACE vk WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1} AND tablets = {'enabled': false}");
    for (const ks of ['tk', 'vk']) await ht.client.execute(`CREATE TABLE ${ks}.s (pk int, ck int, v int, st int static, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true}`);
    const cols = async (ks: string): Promise<string[]> =>
      (await ht.client.execute("SELECT column_name, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = 's_scylla_cdc_log'", [ks], { prepare: true })).rows
        .map((r) => `${r['column_name'] as string}:${r['kind'] as string}`)
        .sort();
    const tablets = await cols('tk');
    expect(tablets).toEqual(await cols('vk'));
    expect(tablets.some((c) => c.startsWith('cdc$closed_time'))).toBe(false);
    expect(tablets.filter((c) => c.endsWith(':static'))).toEqual([]);
  });

  it('log.cc on_before_allocate_tablet_map + metadata.cc get_tablet_stream_set: first set dated 5 s before creation; writes from the future refused', async () => {
    const before = Date.now();
    await ht.client.execute("CREATE TABLE tk.f (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
    const after = Date.now();
    const ts = await ht.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tk' AND table_name = 'f'");
    expect(ts.rows).toHaveLength(1);
    const first = (ts.rows[0]!['timestamp'] as Date).getTime();
    expect(first).toBeGreaterThanOrEqual(before - 5000);
    expect(first).toBeLessThanOrEqual(after - 5000);
    // 3 s in the past is after the first set: accepted. 1 h ahead is beyond the 5 s leeway: refused.
    const us = (ms: number): string => String(BigInt(ms) * 1000n);
    await ht.client.execute(`INSERT INTO tk.f (pk, v) VALUES (1, 1) USING TIMESTAMP ${us(Date.now() - 3000)}`);
    await expect(ht.client.execute(`INSERT INTO tk.f (pk, v) VALUES (2, 2) USING TIMESTAMP ${us(Date.now() + 3_600_000)}`)).rejects.toThrow(
      /attempted to get a stream "from the future"/,
    );
    const base = await ht.client.execute('SELECT pk FROM tk.f');
    expect(base.rows.map((r) => r['pk'])).toEqual([1]);
    const log = await ht.client.execute('SELECT pk FROM tk.f_scylla_cdc_log');
    expect(log.rows.map((r) => r['pk'])).toEqual([1]);
  });
});

describe('row deltas and images (points 3–6)', () => {
  it('test/cql/cdc_batch_delete_postimage_test: no post-image for a row the same batch deletes by range or partition', async () => {
    const opts = "{'enabled': true, 'preimage': true, 'postimage': true}";
    const a = await table(opts);
    expect(ops(await run(a, 'BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (1, 1, 100); DELETE FROM t WHERE pk = 1 AND ck >= 1 AND ck <= 2; APPLY BATCH'))).toEqual([2, 5, 7]);
    const b = await table(opts);
    expect(ops(await run(b, 'BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (1, 1, 100); DELETE FROM t WHERE pk = 1; APPLY BATCH'))).toEqual([2, 4]);
    const c = await table(opts);
    const rows = strip(await run(c, 'BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (1, 1, 100); DELETE FROM t WHERE pk = 1 AND ck >= 2 AND ck <= 3; APPLY BATCH'));
    expect(ops(rows)).toEqual([2, 5, 7, 9]);
    expect(rows[3]).toMatchObject({ operation: 9, ck: 1, v: 100 });
  });

  it('cdc-preimages.rst + log.cc update_row_state: post-image = pre-image + delta even when the delta loses on timestamp', async () => {
    const t = await table("{'enabled': true, 'preimage': true, 'postimage': true}");
    const now = BigInt(Date.now()) * 1000n;
    const rows = strip(
      await run(t, `INSERT INTO t (pk, ck, v) VALUES (0, 0, 5) USING TIMESTAMP ${now}`, `UPDATE t USING TIMESTAMP ${now - 1_000_000n} SET v = 1 WHERE pk = 0 AND ck = 0`),
    );
    // The update's cdc$time is a second older, so its record sorts first.
    expect(rows).toEqual([
      { batch_seq_no: 0, operation: 0, pk: 0, ck: 0, v: 5 },
      { batch_seq_no: 1, operation: 1, pk: 0, ck: 0, v: 1 },
      { batch_seq_no: 2, operation: 9, pk: 0, ck: 0, v: 1, end_of_batch: true },
      { batch_seq_no: 0, operation: 2, pk: 0, ck: 0, v: 5 },
      { batch_seq_no: 1, operation: 9, pk: 0, ck: 0, v: 5, end_of_batch: true },
    ]);
    const base = await h.client.execute(`SELECT v FROM ${KS}.${t} WHERE pk = 0 AND ck = 0`);
    expect(base.rows[0]!['v']).toBe(5);
  });

  it('log.cc udt_visitor, cdc_test.cc test_udt_logging: a touched non-frozen UDT is a value with null fields, never a null column', async () => {
    const t = await table("{'enabled': true, 'postimage': true}");
    const rows = strip(await run(t, 'UPDATE t SET u.a = null, u.b = null WHERE pk = 0 AND ck = 0', 'UPDATE t SET u = null WHERE pk = 0 AND ck = 1'));
    const u = { a: null, b: null, c: null };
    expect(rows).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, u, deleted_elements_u: [0, 1] },
      { batch_seq_no: 1, operation: 9, pk: 0, ck: 0, u, end_of_batch: true },
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 1, u, deleted_u: true },
      { batch_seq_no: 1, operation: 9, pk: 0, ck: 1, u, end_of_batch: true },
    ]);
  });

  it('cdc_test.cc test_change_splitting: a delete over a degenerate range (ck < 1 AND ck > 2) logs nothing', async () => {
    const t = await table();
    expect(await run(t, 'DELETE FROM t WHERE pk = 2 AND ck < 1 AND ck > 2', 'DELETE FROM t WHERE pk = 2 AND ck > 1 AND ck < 1')).toEqual([]);
    expect(ops(await run(t, 'DELETE FROM t WHERE pk = 2 AND ck >= 1 AND ck <= 1'))).toEqual([5, 7]);
  });

  it('statement_restrictions.cc reverse_if_reqd + log.cc range_delete: a DESC column logs its range in clustering order', async () => {
    // The range of the last restricted column is swapped when its type is reversed; the CDC log
    // writes the tombstone's start and end as they are, so the larger value is the start.
    const one = uniqueName('d');
    await h.client.execute(`CREATE TABLE ${KS}.${one} (pk int, ck int, v int, PRIMARY KEY (pk, ck)) WITH CLUSTERING ORDER BY (ck DESC) AND cdc = {'enabled': true}`);
    const rows = strip(await run(one, 'DELETE FROM t WHERE pk = 1 AND ck > 5', 'DELETE FROM t WHERE pk = 2 AND ck >= 2 AND ck < 4', 'DELETE FROM t WHERE pk = 3 AND ck <= 7')).map(
      ({ operation, pk, ck }) => ({ operation, pk, ck }),
    );
    const byPk = (pk: number) => rows.filter((r) => r.pk === pk).map(({ operation, ck }) => [operation, ck ?? null]);
    expect(byPk(1)).toEqual([
      [5, null],
      [8, 5],
    ]); // ck > 5: from the partition's start to 5 exclusive
    expect(byPk(2)).toEqual([
      [6, 4],
      [7, 2],
    ]);
    expect(byPk(3)).toEqual([
      [5, 7],
      [7, null],
    ]);
    // (a ASC, b DESC): the slice is on b, so the prefix bound (2) and the full bound swap places.
    const two = uniqueName('d');
    await h.client.execute(`CREATE TABLE ${KS}.${two} (pk int, a int, b int, v int, PRIMARY KEY (pk, a, b)) WITH CLUSTERING ORDER BY (a ASC, b DESC) AND cdc = {'enabled': true}`);
    const mixed = strip(await run(two, 'DELETE FROM t WHERE pk = 1 AND a = 2 AND b > 3', 'DELETE FROM t WHERE pk = 2 AND a > 1 AND a <= 3'));
    expect(mixed.map(({ operation, pk, a, b }) => [pk, operation, a ?? null, b ?? null])).toEqual([
      [1, 5, 2, null],
      [1, 8, 2, 3],
      [2, 6, 1, null],
      [2, 7, 3, null],
    ]);
  });
});

describe('CDC options (point 7)', () => {
  it('alter_table_statement.cc: ALTER ... WITH cdc without "enabled" is refused; ALTER replaces the whole map', async () => {
    const t = await table("{'enabled': true, 'preimage': true, 'ttl': 3600}");
    await expect(h.client.execute(`ALTER TABLE ${KS}.${t} WITH cdc = {'postimage': true}`)).rejects.toThrow('Altering CDC options requires specifying "enabled" flag');
    expect(await cdcExtension(t)).toMatchObject({ enabled: 'true', preimage: 'true', ttl: '3600' });
    await h.client.execute(`ALTER TABLE ${KS}.${t} WITH cdc = {'enabled': true, 'postimage': true}`);
    expect(await cdcExtension(t)).toEqual({ enabled: 'true', preimage: 'false', postimage: 'true', delta: 'full', ttl: '86400' });
  });

  it('log.cc cdc::options: preimage takes only true/false/1/0/\'full\'; option errors start "Invalid CDC option: "', async () => {
    const create = (opts: string): Promise<unknown> => h.client.execute(`CREATE TABLE ${KS}.${uniqueName('bad')} (pk int PRIMARY KEY, v int) WITH cdc = ${opts}`);
    await expect(create("{'enabled': true, 'preimage': 'on'}")).rejects.toThrow('Invalid value for CDC option "preimage": on');
    await expect(create("{'enabled': true, 'ttl': -1}")).rejects.toThrow('Invalid CDC option: ttl must be >= 0');
    await expect(create("{'enabled': true, 'ttl': 99999999999}")).rejects.toThrow('Invalid CDC option: ttl too large');
    await expect(create("{'enabled': true, 'Foo': 1}")).rejects.toThrow('Invalid CDC option: Foo');
    const ok = uniqueName('ok');
    await h.client.execute(`CREATE TABLE ${KS}.${ok} (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': 'TRUE', 'preimage': 'FULL', 'ttl': '60s'}`);
    expect(await cdcExtension(ok)).toMatchObject({ enabled: 'true', preimage: 'full', ttl: '60' });
  });
});

describe('smaller points (8)', () => {
  it('test/cql/cdc_enable_disable_test: while CDC is off the log schema is left alone; re-enabling rebuilds it from the base', async () => {
    const t = await table();
    await h.client.execute(`ALTER TABLE ${KS}.${t} WITH cdc = {'enabled': false}`);
    await h.client.execute(`ALTER TABLE ${KS}.${t} ADD x text`);
    await h.client.execute(`ALTER TABLE ${KS}.${t} DROP v`);
    let cols = await logColumns(t);
    expect(cols).toContain('v');
    expect(cols).not.toContain('x');
    await h.client.execute(`ALTER TABLE ${KS}.${t} WITH cdc = {'enabled': true}`);
    cols = await logColumns(t);
    expect(cols).toEqual(expect.arrayContaining(['x', 'cdc$deleted_x']));
    expect(cols).not.toContain('v');
    expect(cols).not.toContain('cdc$deleted_v');
  });

  it('db/schema_tables.cc: system_schema.scylla_tables.cdc is null since 4.0 (options live in extensions)', async () => {
    const t = await table("{'enabled': true, 'preimage': true}");
    const rs = await h.client.execute('SELECT cdc FROM system_schema.scylla_tables WHERE keyspace_name = ? AND table_name = ?', [KS, t], { prepare: true });
    expect(rs.rows).toHaveLength(1);
    expect(rs.rows[0]!['cdc']).toBeNull();
  });

  it('log.cc log_mutation_builder: WRITETIME/TTL of a log cell are the base write timestamp and the log TTL', async () => {
    const t = await table("{'enabled': true, 'ttl': 3600}");
    const ts = BigInt(Date.now()) * 1000n - 7n;
    await h.client.execute(`INSERT INTO ${KS}.${t} (pk, ck, v) VALUES (0, 0, 1) USING TIMESTAMP ${ts}`);
    const rs = await h.client.execute(`SELECT WRITETIME(v) AS w, TTL(v) AS l, TTL(u) AS lu FROM ${KS}.${t}_scylla_cdc_log`);
    expect((rs.rows[0]!['w'] as cassandra.types.Long).toString()).toBe(ts.toString());
    expect(rs.rows[0]!['l']).toBeGreaterThan(3500);
    expect(rs.rows[0]!['l']).toBeLessThanOrEqual(3600);
    expect(rs.rows[0]!['lu']).toBeNull();
  });

  it('split.cc should_split / process_changes_without_splitting: rows of one unsplit mutation follow clustering order', async () => {
    const t = await table();
    const unsplit = strip(await run(t, 'BEGIN UNLOGGED BATCH INSERT INTO t (pk, ck, v) VALUES (0, 1, 1); UPDATE t SET v = 2 WHERE pk = 0 AND ck = 0; APPLY BATCH'));
    expect(unsplit.map((r) => [r['ck'], r['operation']])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    const t2 = await table();
    // A TTL on one statement forces splitting: inserts come before updates.
    const split = strip(await run(t2, 'BEGIN UNLOGGED BATCH INSERT INTO t (pk, ck, v) VALUES (0, 1, 1) USING TTL 100; UPDATE t SET v = 2 WHERE pk = 0 AND ck = 0; APPLY BATCH'));
    expect(split.map((r) => [r['ck'], r['operation']])).toEqual(
      [
        [0, 1],
        [1, 2],
      ].reverse(),
    );
  });

  it('utils/UUID_gen.hh get_random_time_UUID_from_micros: cdc$time carries the IETF variant (byte 8 in 0x80–0xBF)', async () => {
    const t = await table();
    for (let i = 0; i < 20; i++) await h.client.execute(`INSERT INTO ${KS}.${t} (pk, ck, v) VALUES (${i}, 0, 1)`);
    const rs = await h.client.execute(`SELECT "cdc$time" FROM ${KS}.${t}_scylla_cdc_log`);
    expect(rs.rows).toHaveLength(20);
    for (const r of rs.rows) {
      const b = (r['cdc$time'] as cassandra.types.TimeUuid).getBuffer();
      expect(b[8]! & 0xc0).toBe(0x80);
    }
  });
});

// Point 11 has no upstream source: the quoted "during a switch one entry may be written to both"
// is in no file or commit of scylladb/scylladb (searched in docs/features/cdc/cdc-querying-streams.rst,
// its history, and the whole tree with git grep / git log -S at f4a4091ca28e); upstream logs each
// write in one stream (cdc/log.cc begin_timestamp -> cdc::metadata::get_tablet_stream).
describe('tablet stream-set switch duplication (point 11; a pessimistic model, see the README)', () => {
  const streamsOfPk = async (hx: Harness, ks: string, pk: number): Promise<{ stream: string; time: string }[]> =>
    (await hx.client.execute(`SELECT "cdc$stream_id", "cdc$time", pk FROM ${ks}.d_scylla_cdc_log`)).rows
      .filter((r) => r['pk'] === pk)
      .map((r) => ({ stream: (r['cdc$stream_id'] as Buffer).toString('hex'), time: String(r['cdc$time']) }));

  it('a write near a split is logged in the old and the new stream with one cdc$time; switchDuplicateMs 0 turns it off', async () => {
    for (const window of [2000, 0]) {
      const hx = await startHarness({ seed: 13, tablets: true, initialTablets: 2, switchDuplicateMs: window });
      try {
        await hx.client.execute("CREATE KEYSPACE dk WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1} AND tablets = {'enabled': true}");
        await hx.client.execute("CREATE TABLE dk.d (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
        const set = hx.emu.splitTablet('dk', 'd', { delayMs: 1000 });
        await hx.client.execute('INSERT INTO dk.d (pk, v) VALUES (1, 1)'); // before the switch
        await new Promise((r) => setTimeout(r, Math.max(0, set.ts - Date.now()) + 20));
        await hx.client.execute('INSERT INTO dk.d (pk, v) VALUES (2, 2)'); // just after it
        await new Promise((r) => setTimeout(r, 2100));
        await hx.client.execute('INSERT INTO dk.d (pk, v) VALUES (3, 3)'); // outside the window
        const current = new Set(
          (
            await hx.client.execute(
              'SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = ? AND table_name = ? AND timestamp = ? AND stream_state = 0',
              ['dk', 'd', new Date(set.ts)],
              { prepare: true },
            )
          ).rows.map((r) => (r['stream_id'] as Buffer).toString('hex')),
        );
        for (const pk of [1, 2]) {
          const rows = await streamsOfPk(hx, 'dk', pk);
          expect(rows).toHaveLength(window > 0 ? 2 : 1);
          expect(new Set(rows.map((r) => r.time)).size).toBe(1);
          if (window > 0) expect(rows.filter((r) => current.has(r.stream))).toHaveLength(1);
        }
        const third = await streamsOfPk(hx, 'dk', 3);
        expect(third).toHaveLength(1);
        expect(current.has(third[0]!.stream)).toBe(true);
      } finally {
        await hx.close();
      }
    }
  });
});

describe('per-row TTL (point 9)', () => {
  it('docs/cql/cql-extensions.md "Per-row TTL": expiry deletes the row and logs op -3 (row) / -4 (no clustering key); TTL NULL stops it', async () => {
    const hx = await startHarness({ seed: 14, rowTtlPeriodMs: 100 });
    try {
      const c = hx.client;
      await c.execute("CREATE KEYSPACE rt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await c.execute("CREATE TABLE rt.r (pk int, ck int, v int, exp timestamp TTL, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true}");
      await c.execute("CREATE TABLE rt.p (pk int PRIMARY KEY, v int, exp bigint) WITH cdc = {'enabled': true}");
      await c.execute('ALTER TABLE rt.p TTL exp');
      await expect(c.execute('ALTER TABLE rt.p TTL v')).rejects.toThrow(/already enabled/);
      await expect(c.execute('CREATE TABLE rt.bad (pk int PRIMARY KEY, v text TTL)')).rejects.toThrow(/timestamp, bigint or int/);
      const soon = Date.now() + 300;
      await c.execute('INSERT INTO rt.r (pk, ck, v, exp) VALUES (1, 1, 1, ?)', [new Date(soon)], { prepare: true });
      await c.execute('INSERT INTO rt.r (pk, ck, v, exp) VALUES (1, 2, 2, ?)', [new Date(soon + 3_600_000)], { prepare: true });
      await c.execute('INSERT INTO rt.p (pk, v, exp) VALUES (5, 5, ?)', [cassandra.types.Long.fromNumber(Math.ceil(soon / 1000))], { prepare: true });
      const deadline = Date.now() + 10_000;
      let r: Record<string, unknown>[] = [];
      let p: Record<string, unknown>[] = [];
      while (Date.now() < deadline) {
        r = strip(await logRows(c, 'rt', 'r'));
        p = strip(await logRows(c, 'rt', 'p'));
        if (r.length >= 3 && p.length >= 2) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(r.map((x) => [x['operation'], x['ck']])).toEqual([
        [2, 1],
        [2, 2],
        [-3, 1],
      ]);
      expect(p.map((x) => [x['operation'], x['pk']])).toEqual([
        [2, 5],
        [-4, 5],
      ]);
      expect((await c.execute('SELECT ck FROM rt.r')).rows.map((x) => x['ck'])).toEqual([2]);
      expect((await c.execute('SELECT pk FROM rt.p')).rows).toHaveLength(0);
      // Per-row TTL off: a row past its time stays.
      await c.execute('ALTER TABLE rt.r TTL NULL');
      await c.execute('INSERT INTO rt.r (pk, ck, v, exp) VALUES (1, 3, 3, ?)', [new Date(Date.now() - 1000)], { prepare: true });
      await new Promise((res) => setTimeout(res, 500));
      expect((await c.execute('SELECT ck FROM rt.r')).rows.map((x) => x['ck'])).toEqual([2, 3]);
    } finally {
      await hx.close();
    }
  });
});

describe('partition-delete pre-image without clustering key (point 10)', () => {
  it('cdc_test.cc test_preimage_delete_no_clustering_key (2026.1+): DELETE ... WHERE pk logs the row pre-image; off for older versions', async () => {
    for (const on of [true, false]) {
      const hx = await startHarness({ seed: 15, noCkDeletePreimage: on });
      try {
        await hx.client.execute("CREATE KEYSPACE nk WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        await hx.client.execute("CREATE TABLE nk.t (pk int PRIMARY KEY, val int, w int) WITH cdc = {'enabled': true, 'preimage': true}");
        for (const s of ['INSERT INTO nk.t (pk, val) VALUES (1, 2)', 'INSERT INTO nk.t (pk, val) VALUES (1, 3)', 'DELETE FROM nk.t WHERE pk = 1']) {
          await hx.client.execute(s);
        }
        const rows = strip(await logRows(hx.client, 'nk', 't'));
        const del = rows.slice(rows.findIndex((r) => r['operation'] === 2 && r['val'] === 3) + 1);
        expect(del).toEqual(
          on
            ? [
                { batch_seq_no: 0, operation: 0, pk: 1, val: 3, deleted_w: true },
                { batch_seq_no: 1, operation: 4, pk: 1, end_of_batch: true },
              ]
            : [{ batch_seq_no: 0, operation: 4, pk: 1, end_of_batch: true }],
        );
      } finally {
        await hx.close();
      }
    }
  });
});
