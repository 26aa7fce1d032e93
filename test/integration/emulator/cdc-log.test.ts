// One case per row of ScyllaDB docs/features/cdc/cdc-basic-operations.rst (plus the pre-/post-image example), driven through
// the real cassandra-driver against the in-process emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStatic, logRows, startHarness, strip, uniqueName, type Harness } from './harness.js';

const KS = 'cdc_conf';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: 7 });
  await h.client.execute(`CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await h.client.execute(`CREATE TYPE ${KS}.ut (a int, b int, c int)`);
});
afterAll(async () => {
  await h.close();
});

/** The doc's example table: (pk int, ck int, v int, s int static, m map<int,text>), plus w, l, u for the extra rows. */
async function table(opts = "{'enabled': true}", extra = ''): Promise<string> {
  const t = uniqueName('t');
  await h.client.execute(`CREATE TABLE ${KS}.${t} (pk int, ck int, v int, w int, s int static, m map<int, text>, l list<int>, u ut${extra},
    PRIMARY KEY (pk, ck)) WITH cdc = ${opts}`);
  return t;
}

async function run(t: string, ...stmts: string[]): Promise<Record<string, unknown>[]> {
  for (const s of stmts) await h.client.execute(s.replace(/\bt\b/g, `${KS}.${t}`));
  return logRows(h.client, KS, t);
}

// Cases marked [inferred] extend a documented pattern to a case the docs do not show: they check the
// emulator's own reading of the docs (self-consistency), not conformance.
describe('docs/features/cdc/cdc-basic-operations.rst: rows produced per base write', () => {
  it('INSERT INTO t(pk,ck,v) VALUES(0,0,1)', async () => {
    const t = await table();
    expect(strip(await run(t, 'INSERT INTO t(pk,ck,v) VALUES(0,0,1)'))).toEqual([{ batch_seq_no: 0, operation: 2, pk: 0, ck: 0, v: 1, end_of_batch: true }]);
  });

  it('INSERT ... VALUES(0,0,null) marks cdc$deleted_v', async () => {
    const t = await table();
    expect(strip(await run(t, 'INSERT INTO t(pk,ck,v) VALUES(0,0,null)'))).toEqual([{ batch_seq_no: 0, operation: 2, pk: 0, ck: 0, deleted_v: true, end_of_batch: true }]);
  });

  it('INSERT INTO t(pk,ck) VALUES(0,0) (row marker only)', async () => {
    const t = await table();
    expect(strip(await run(t, 'INSERT INTO t(pk,ck) VALUES(0,0)'))).toEqual([{ batch_seq_no: 0, operation: 2, pk: 0, ck: 0, end_of_batch: true }]);
  });

  it('INSERT INTO t(pk,ck,s,v): static change is a separate op=1 row with ck null', async () => {
    const t = await table();
    const rows = await run(t, 'INSERT INTO t(pk,ck,s,v) VALUES(0,0,5,1)');
    expect(strip(rows)).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, s: 5 },
      { batch_seq_no: 1, operation: 2, pk: 0, ck: 0, v: 1, end_of_batch: true },
    ]);
    expect(rows[0]!['_time']).toBe(rows[1]!['_time']);
  });

  it('INSERT INTO t(pk,s) VALUES(0,5)', async () => {
    const t = await table();
    expect(strip(await run(t, 'INSERT INTO t(pk,s) VALUES(0,5)'))).toEqual([{ batch_seq_no: 0, operation: 1, pk: 0, s: 5, end_of_batch: true }]);
  });

  it('UPDATE t SET v=1', async () => {
    const t = await table();
    expect(strip(await run(t, 'UPDATE t SET v=1 WHERE pk=0 AND ck=0'))).toEqual([{ batch_seq_no: 0, operation: 1, pk: 0, ck: 0, v: 1, end_of_batch: true }]);
  });

  it('UPDATE t SET v=null and DELETE v FROM t both mark cdc$deleted_v', async () => {
    const t = await table();
    expect(strip(await run(t, 'UPDATE t SET v=null WHERE pk=0 AND ck=0', 'DELETE v FROM t WHERE pk=0 AND ck=0'))).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, deleted_v: true, end_of_batch: true },
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, deleted_v: true, end_of_batch: true },
    ]);
  });

  it('UPDATE t SET s=1, v=2: static row first', async () => {
    const t = await table();
    expect(strip(await run(t, 'UPDATE t SET s=1, v=2 WHERE pk=0 AND ck=0'))).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, s: 1 },
      { batch_seq_no: 1, operation: 1, pk: 0, ck: 0, v: 2, end_of_batch: true },
    ]);
  });

  it('UPDATE t USING TTL 5 SET v=0 sets cdc$ttl', async () => {
    const t = await table();
    expect(strip(await run(t, 'UPDATE t USING TTL 5 SET v=0 WHERE pk=0 AND ck=0'))).toEqual([{ batch_seq_no: 0, operation: 1, pk: 0, ck: 0, v: 0, ttl: 5, end_of_batch: true }]);
  });

  it('UPDATE t USING TTL 5 SET a=0, b=null splits into no-TTL row then TTL row, same cdc$time', async () => {
    const t = await table();
    const rows = await run(t, 'UPDATE t USING TTL 5 SET v=0, w=null WHERE pk=0 AND ck=0');
    expect(strip(rows)).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, deleted_w: true },
      { batch_seq_no: 1, operation: 1, pk: 0, ck: 0, v: 0, ttl: 5, end_of_batch: true },
    ]);
    expect(rows[0]!['_time']).toBe(rows[1]!['_time']);
  });

  it('DELETE FROM t WHERE pk=0 AND ck=0 is op=3', async () => {
    const t = await table();
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0 AND ck=0'))).toEqual([{ batch_seq_no: 0, operation: 3, pk: 0, ck: 0, end_of_batch: true }]);
  });

  it('DELETE FROM t WHERE pk=0 is op=4 with ck null', async () => {
    const t = await table();
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0'))).toEqual([{ batch_seq_no: 0, operation: 4, pk: 0, end_of_batch: true }]);
  });

  it('table without clustering key: DELETE FROM t2 WHERE pk=0 is op=4', async () => {
    const t = uniqueName('nock');
    await h.client.execute(`CREATE TABLE ${KS}.${t} (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0'))).toEqual([{ batch_seq_no: 0, operation: 4, pk: 0, end_of_batch: true }]);
  });

  it('DELETE ... ck>0 AND ck<=2 gives op=6 ck=0 then op=7 ck=2', async () => {
    const t = await table();
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0 AND ck>0 AND ck<=2'))).toEqual([
      { batch_seq_no: 0, operation: 6, pk: 0, ck: 0 },
      { batch_seq_no: 1, operation: 7, pk: 0, ck: 2, end_of_batch: true },
    ]);
  });

  it('DELETE ... ck<3 gives op=5 ck=null (unbounded start) then op=8 ck=3', async () => {
    const t = await table();
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0 AND ck<3'))).toEqual([
      { batch_seq_no: 0, operation: 5, pk: 0 },
      { batch_seq_no: 1, operation: 8, pk: 0, ck: 3, end_of_batch: true },
    ]);
  });

  it('[inferred] DELETE ... ck>3 gives op=6 ck=3 then op=7 ck=null', async () => {
    const t = await table();
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0 AND ck>3'))).toEqual([
      { batch_seq_no: 0, operation: 6, pk: 0, ck: 3 },
      { batch_seq_no: 1, operation: 7, pk: 0, end_of_batch: true },
    ]);
  });

  it('multi-column CK: ck1=0 AND ck2>0 AND ck2<3 bounds are CK prefixes', async () => {
    const t = uniqueName('mck');
    await h.client.execute(`CREATE TABLE ${KS}.${t} (pk int, ck1 int, ck2 int, ck3 int, v int, PRIMARY KEY (pk, ck1, ck2, ck3)) WITH cdc = {'enabled': true}`);
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0 AND ck1=0 AND ck2>0 AND ck2<3'))).toEqual([
      { batch_seq_no: 0, operation: 6, pk: 0, ck1: 0, ck2: 0 },
      { batch_seq_no: 1, operation: 8, pk: 0, ck1: 0, ck2: 3, end_of_batch: true },
    ]);
  });

  it('[inferred] prefix delete ck1=0 gives op=5 ck1=0 then op=7 ck1=0', async () => {
    const t = uniqueName('mck');
    await h.client.execute(`CREATE TABLE ${KS}.${t} (pk int, ck1 int, ck2 int, v int, PRIMARY KEY (pk, ck1, ck2)) WITH cdc = {'enabled': true}`);
    expect(strip(await run(t, 'DELETE FROM t WHERE pk=0 AND ck1=0'))).toEqual([
      { batch_seq_no: 0, operation: 5, pk: 0, ck1: 0 },
      { batch_seq_no: 1, operation: 7, pk: 0, ck1: 0, end_of_batch: true },
    ]);
  });

  it("UPDATE t SET m = m + {1:'a'}", async () => {
    const t = await table();
    expect(strip(await run(t, "UPDATE t SET m = m + {1:'a'} WHERE pk=0 AND ck=0"))).toEqual([{ batch_seq_no: 0, operation: 1, pk: 0, ck: 0, m: { 1: 'a' }, end_of_batch: true }]);
  });

  it('UPDATE t SET m = m - {1,2} lists the keys in cdc$deleted_elements_m', async () => {
    const t = await table();
    expect(strip(await run(t, 'UPDATE t SET m = m - {1,2} WHERE pk=0 AND ck=0'))).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, deleted_elements_m: [1, 2], end_of_batch: true },
    ]);
  });

  it("UPDATE t SET m = {1:'a'} (overwrite) sets m and cdc$deleted_m, at the statement's timestamp", async () => {
    const t = await table();
    const ts = BigInt(Date.now()) * 1000n;
    const rows = await run(t, `UPDATE t USING TIMESTAMP ${ts} SET m = {1:'a'} WHERE pk=0 AND ck=0`);
    expect(strip(rows)).toEqual([{ batch_seq_no: 0, operation: 1, pk: 0, ck: 0, m: { 1: 'a' }, deleted_m: true, end_of_batch: true }]);
    expect(rows[0]!['_micros']).toBe(ts);
  });

  it('UPDATE t SET m = null or = {} marks cdc$deleted_m', async () => {
    const t = await table();
    expect(strip(await run(t, 'UPDATE t SET m = null WHERE pk=0 AND ck=0', 'UPDATE t SET m = {} WHERE pk=0 AND ck=1'))).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, deleted_m: true, end_of_batch: true },
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 1, deleted_m: true, end_of_batch: true },
    ]);
  });

  it('DELETE m FROM t at timestamp T logs at T+1 µs (the +1 quirk)', async () => {
    const t = await table();
    const ts = BigInt(Date.now()) * 1000n;
    const rows = await run(t, `DELETE m FROM t USING TIMESTAMP ${ts} WHERE pk=0 AND ck=0`);
    expect(strip(rows)).toEqual([{ batch_seq_no: 0, operation: 1, pk: 0, ck: 0, deleted_m: true, end_of_batch: true }]);
    expect(rows[0]!['_micros']).toBe(ts + 1n);
  });

  it("INSERT INTO t(pk,ck,m) VALUES(0,0,{1:'a'}) is one op=2 row with m and cdc$deleted_m", async () => {
    const t = await table();
    expect(strip(await run(t, "INSERT INTO t(pk,ck,m) VALUES(0,0,{1:'a'})"))).toEqual([
      { batch_seq_no: 0, operation: 2, pk: 0, ck: 0, m: { 1: 'a' }, deleted_m: true, end_of_batch: true },
    ]);
  });

  it('INSERT (pk,ck,m) ... USING TTL 5 gives three rows: marker, tombstone, cells', async () => {
    const t = await table();
    const rows = await run(t, "INSERT INTO t(pk,ck,m) VALUES(0,0,{1:'a'}) USING TTL 5");
    expect(strip(rows)).toEqual([
      { batch_seq_no: 0, operation: 2, pk: 0, ck: 0, ttl: 5 },
      { batch_seq_no: 1, operation: 1, pk: 0, ck: 0, deleted_m: true },
      { batch_seq_no: 2, operation: 1, pk: 0, ck: 0, m: { 1: 'a' }, ttl: 5, end_of_batch: true },
    ]);
    expect(new Set(rows.map((r) => r['_time'])).size).toBe(1);
  });

  it('list SET l = l + [1,2] exposes the timeuuid cell keys', async () => {
    const t = await table();
    const rows = await run(t, 'UPDATE t SET l = l + [1,2] WHERE pk=0 AND ck=0');
    expect(rows).toHaveLength(1);
    const l = rows[0]!['l'] as Record<string, number>;
    expect(Object.values(l)).toEqual([1, 2]);
    for (const k of Object.keys(l)) expect(k).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-/);
    expect(rows[0]!['operation']).toBe(1);
  });

  it('list SET l = l - [1] lists the keys holding 1', async () => {
    const t = await table();
    const rows = await run(t, 'UPDATE t SET l = l + [1,2,1] WHERE pk=0 AND ck=0', 'UPDATE t SET l = l - [1] WHERE pk=0 AND ck=0');
    const added = rows[0]!['l'] as Record<string, number>;
    const keysOf1 = Object.entries(added)
      .filter(([, v]) => v === 1)
      .map(([k]) => k)
      .sort();
    expect((rows[1]!['deleted_elements_l'] as string[]).slice().sort()).toEqual(keysOf1);
    expect(rows[1]!['l']).toBeUndefined();
  });

  it('UDT SET u.a=42, u.c=null shows all fields and deleted field index 2', async () => {
    const t = await table();
    expect(strip(await run(t, 'UPDATE t SET u.a=42, u.c=null WHERE pk=0 AND ck=0'))).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, u: { a: 42, b: null, c: null }, deleted_elements_u: [2], end_of_batch: true },
    ]);
  });

  it('UNLOGGED BATCH with 2 updates in one partition: one cdc$time, seq 0 and 1', async () => {
    const t = await table();
    const rows = await run(t, 'BEGIN UNLOGGED BATCH UPDATE t SET v=1 WHERE pk=0 AND ck=0; UPDATE t SET v=2 WHERE pk=0 AND ck=1; APPLY BATCH');
    expect(strip(rows)).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, v: 1 },
      { batch_seq_no: 1, operation: 1, pk: 0, ck: 1, v: 2, end_of_batch: true },
    ]);
    expect(rows[0]!['_time']).toBe(rows[1]!['_time']);
  });

  it('batch with different USING TIMESTAMP per statement: one record per timestamp', async () => {
    const t = await table();
    const now = BigInt(Date.now()) * 1000n;
    const rows = await run(
      t,
      `BEGIN BATCH UPDATE t USING TIMESTAMP ${now} SET v=1 WHERE pk=0 AND ck=0; UPDATE t USING TIMESTAMP ${now + 5n} SET v=2 WHERE pk=0 AND ck=1; APPLY BATCH`,
    );
    expect(strip(rows)).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 0, v: 1, end_of_batch: true },
      { batch_seq_no: 0, operation: 1, pk: 0, ck: 1, v: 2, end_of_batch: true },
    ]);
    expect(rows.map((r) => r['_micros'])).toEqual([now, now + 5n]);
  });

  it('batch spanning 2 partitions: 2 records with their own cdc$time (equal timestamps)', async () => {
    const t = await table();
    const rows = await run(t, 'BEGIN BATCH UPDATE t SET v=1 WHERE pk=1 AND ck=0; UPDATE t SET v=2 WHERE pk=2 AND ck=0; APPLY BATCH');
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r['end_of_batch'] === true && r['batch_seq_no'] === 0)).toBe(true);
    expect(rows[0]!['_time']).not.toBe(rows[1]!['_time']);
    expect(rows[0]!['_micros']).toBe(rows[1]!['_micros']);
  });

  it("counter table with CDC is refused with ScyllaDB's message", async () => {
    await expect(h.client.execute(`CREATE TABLE ${KS}.cnt (pk int PRIMARY KEY, c counter) WITH cdc = {'enabled': true}`)).rejects.toThrow(
      `Cannot create CDC log for table ${KS}.cnt. Counter support not implemented`,
    );
  });

  it('per-write TTL expiry logs nothing', async () => {
    const t = await table();
    await run(t, 'INSERT INTO t(pk,ck,v) VALUES(0,0,1) USING TTL 1');
    await new Promise((r) => setTimeout(r, 1100));
    const base = await h.client.execute(`SELECT * FROM ${KS}.${t}`);
    expect(base.rows).toHaveLength(0);
    expect(strip(await logRows(h.client, KS, t))).toEqual([{ batch_seq_no: 0, operation: 2, pk: 0, ck: 0, v: 1, ttl: 1, end_of_batch: true }]);
  });

  it('LWT that applies writes normal rows', async () => {
    const t = await table();
    const rs = await h.client.execute(`INSERT INTO ${KS}.${t}(pk,ck,v) VALUES(0,0,1) IF NOT EXISTS`);
    expect(rs.rows[0]!['[applied]']).toBe(true);
    expect(strip(await logRows(h.client, KS, t))).toEqual([{ batch_seq_no: 0, operation: 2, pk: 0, ck: 0, v: 1, end_of_batch: true }]);
  });

  it('test/cql/cdc_with_lwt_test: an LWT that does not apply writes no rows (its 5 rows are the applied statements and their pre-images)', async () => {
    const t = await table();
    await run(t, 'INSERT INTO t(pk,ck,v) VALUES(0,0,1)');
    const rs = await h.client.execute(`UPDATE ${KS}.${t} SET v=2 WHERE pk=0 AND ck=0 IF v = 5`);
    expect(rs.rows[0]!['[applied]']).toBe(false);
    expect(rs.rows[0]!['v']).toBe(1);
    expect(await logRows(h.client, KS, t)).toHaveLength(1);
  });

  it('TRUNCATE of the base table leaves the log untouched', async () => {
    const t = await table();
    await run(t, 'INSERT INTO t(pk,ck,v) VALUES(0,0,1)', 'TRUNCATE t');
    expect((await h.client.execute(`SELECT * FROM ${KS}.${t}`)).rows).toHaveLength(0);
    expect(await logRows(h.client, KS, t)).toHaveLength(1);
  });

  it("delta 'keys' nulls payload columns but keeps keys, op and ttl", async () => {
    const t = await table("{'enabled': true, 'delta': 'keys'}");
    expect(strip(await run(t, 'UPDATE t USING TTL 7 SET v=1, s=2 WHERE pk=0 AND ck=0'))).toEqual([
      { batch_seq_no: 0, operation: 1, pk: 0, ttl: 7 },
      { batch_seq_no: 1, operation: 1, pk: 0, ck: 0, ttl: 7, end_of_batch: true },
    ]);
  });
});

describe('pre-/post-images', () => {
  it("doc example: preimage 'full', postimage true, row (0,0,v1=0,v2=null) then INSERT v2", async () => {
    const t = uniqueName('img');
    await h.client.execute(`CREATE TABLE ${KS}.${t} (pk int, ck int, v1 int, v2 int, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true, 'preimage': 'full', 'postimage': true}`);
    await h.client.execute(`INSERT INTO ${KS}.${t}(pk,ck,v1) VALUES(0,0,0)`);
    await h.client.execute(`INSERT INTO ${KS}.${t}(pk,ck,v2) VALUES(0,0,0)`);
    const rows = strip(await logRows(h.client, KS, t));
    expect(rows.slice(2)).toEqual([
      { batch_seq_no: 0, operation: 0, pk: 0, ck: 0, v1: 0, deleted_v2: true },
      { batch_seq_no: 1, operation: 2, pk: 0, ck: 0, v2: 0 },
      { batch_seq_no: 2, operation: 9, pk: 0, ck: 0, v1: 0, v2: 0, end_of_batch: true },
    ]);
    // The first insert found no row: no pre-image, but a post-image.
    expect(rows.slice(0, 2)).toEqual([
      { batch_seq_no: 0, operation: 2, pk: 0, ck: 0, v1: 0 },
      { batch_seq_no: 1, operation: 9, pk: 0, ck: 0, v1: 0, end_of_batch: true },
    ]);
  });

  it('preimage true includes only the touched columns; row delete includes all; no post-image for deletes', async () => {
    const t = uniqueName('img');
    await h.client.execute(`CREATE TABLE ${KS}.${t} (pk int, ck int, v1 int, v2 int, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true, 'preimage': true, 'postimage': true}`);
    await h.client.execute(`INSERT INTO ${KS}.${t}(pk,ck,v1,v2) VALUES(0,0,1,2)`);
    await h.client.execute(`UPDATE ${KS}.${t} SET v1=3 WHERE pk=0 AND ck=0`);
    await h.client.execute(`DELETE FROM ${KS}.${t} WHERE pk=0 AND ck=0`);
    const rows = strip(await logRows(h.client, KS, t));
    expect(rows.slice(2)).toEqual([
      { batch_seq_no: 0, operation: 0, pk: 0, ck: 0, v1: 1 },
      { batch_seq_no: 1, operation: 1, pk: 0, ck: 0, v1: 3 },
      { batch_seq_no: 2, operation: 9, pk: 0, ck: 0, v1: 3, v2: 2, end_of_batch: true },
      { batch_seq_no: 0, operation: 0, pk: 0, ck: 0, v1: 3, v2: 2 },
      { batch_seq_no: 1, operation: 3, pk: 0, ck: 0, end_of_batch: true },
    ]);
  });
});

describe('log table schema', () => {
  it('columns, types and keys follow docs/features/cdc/cdc-log-table.rst', async () => {
    const t = await table();
    const md = await h.client.metadata.getTable(KS, `${t}_scylla_cdc_log`);
    expect(md).toBeTruthy();
    const types = Object.fromEntries(md!.columns.map((c) => [c.name, describeType(c.type)]));
    expect(types).toMatchObject({
      cdc$stream_id: 'blob',
      cdc$time: 'timeuuid',
      cdc$batch_seq_no: 'int',
      cdc$operation: 'tinyint',
      cdc$ttl: 'bigint',
      cdc$end_of_batch: 'boolean',
      pk: 'int',
      ck: 'int',
      v: 'int',
      cdc$deleted_v: 'boolean',
      s: 'int',
      cdc$deleted_s: 'boolean',
      m: 'map<int,text>',
      cdc$deleted_m: 'boolean',
      cdc$deleted_elements_m: 'set<int>',
      l: 'map<timeuuid,int>',
      cdc$deleted_elements_l: 'set<timeuuid>',
      u: 'udt:ut',
      cdc$deleted_elements_u: 'set<smallint>',
    });
    expect(md!.partitionKeys.map((c) => c.name)).toEqual(['cdc$stream_id']);
    expect(md!.clusteringKeys.map((c) => c.name)).toEqual(['cdc$time', 'cdc$batch_seq_no']);
    expect(isStatic(md!.columns.find((c) => c.name === 's'))).toBe(false);
    expect(md!.columns.some((c) => c.name === 'cdc$closed_time')).toBe(false);
  });

  it('ALTER TABLE ADD/DROP alters the log; disabling CDC keeps it; DROP TABLE drops it', async () => {
    const t = await table();
    await h.client.execute(`ALTER TABLE ${KS}.${t} ADD x text`);
    let md = await h.client.metadata.getTable(KS, `${t}_scylla_cdc_log`);
    expect(md!.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['x', 'cdc$deleted_x']));
    await h.client.execute(`ALTER TABLE ${KS}.${t} DROP w`);
    md = await h.client.metadata.getTable(KS, `${t}_scylla_cdc_log`);
    expect(md!.columns.map((c) => c.name)).not.toContain('w');
    await h.client.execute(`INSERT INTO ${KS}.${t}(pk,ck,x) VALUES(0,0,'hi')`);
    expect(strip(await logRows(h.client, KS, t))).toEqual([{ batch_seq_no: 0, operation: 2, pk: 0, ck: 0, x: 'hi', end_of_batch: true }]);
    await h.client.execute(`ALTER TABLE ${KS}.${t} WITH cdc = {'enabled': false}`);
    await h.client.execute(`INSERT INTO ${KS}.${t}(pk,ck,v) VALUES(1,1,1)`);
    expect(await logRows(h.client, KS, t)).toHaveLength(1);
    await h.client.execute(`DROP TABLE ${KS}.${t}`);
    await expect(h.client.execute(`SELECT * FROM ${KS}.${t}_scylla_cdc_log`)).rejects.toThrow(/unconfigured table/);
  });

  it("extensions['cdc'] is a little-endian map<string,string>", async () => {
    const t = await table("{'enabled': true, 'preimage': 'full', 'ttl': 3600}");
    const rs = await h.client.execute('SELECT extensions FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [KS, t], { prepare: true });
    const blob = (rs.rows[0]!['extensions'] as Record<string, Buffer>)['cdc']!;
    const n = blob.readInt32LE(0);
    const out: Record<string, string> = {};
    let off = 4;
    const str = (): string => {
      const len = blob.readInt32LE(off);
      off += 4;
      const s = blob.toString('utf8', off, off + len);
      off += len;
      return s;
    };
    for (let i = 0; i < n; i++) {
      const k = str();
      out[k] = str();
    }
    expect(out).toEqual({ enabled: 'true', preimage: 'full', postimage: 'false', delta: 'full', ttl: '3600' });
  });

  it('bad CDC options fail with ScyllaDB messages', async () => {
    await expect(h.client.execute(`CREATE TABLE ${KS}.bad1 (pk int PRIMARY KEY) WITH cdc = {'enabled': true, 'foo': 1}`)).rejects.toThrow('Invalid CDC option: foo');
    await expect(h.client.execute(`CREATE TABLE ${KS}.bad2 (pk int PRIMARY KEY) WITH cdc = {'enabled': true, 'delta': 'x'}`)).rejects.toThrow(
      'Invalid value for CDC option "delta": x',
    );
  });
});

function describeType(t: { code: number; info?: unknown }): string {
  const names: Record<number, string> = { 2: 'bigint', 3: 'blob', 4: 'boolean', 9: 'int', 10: 'text', 13: 'text', 15: 'timeuuid', 19: 'smallint', 20: 'tinyint', 11: 'timestamp' };
  if (t.code === 0x21) {
    const [k, v] = t.info as [{ code: number }, { code: number }];
    return `map<${describeType(k)},${describeType(v)}>`;
  }
  if (t.code === 0x22 || t.code === 0x20) return `${t.code === 0x22 ? 'set' : 'list'}<${describeType(t.info as { code: number })}>`;
  if (t.code === 0x30) return `udt:${(t.info as { name: string }).name}`;
  return names[t.code] ?? String(t.code);
}
