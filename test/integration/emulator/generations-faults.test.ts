// Vnode generations (system_distributed, stream id layout, add-node switch), tablets stream sets
// (split/merge; no cdc$closed_time column, as upstream), and fault injection.
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../support/scylla-emulator/cdc/streams.js';
import { isStatic, logRows, pageAll, startHarness, type Harness } from './harness.js';

describe('vnode generations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 11, vnodes: 8, shards: 2 });
    await h.client.execute("CREATE KEYSPACE g WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await h.client.execute("CREATE TABLE g.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => { await h.close(); });

  it('publishes generations with the exact schemas and §3.1 stream ids', async () => {
    const ts = await h.client.execute("SELECT time, expired FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'");
    expect(ts.rows).toHaveLength(1);
    expect(ts.rows[0]!['expired']).toBeNull();
    const gen = ts.rows[0]!['time'] as Date;
    const rs = await h.client.execute('SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [gen], { prepare: true, fetchSize: 3 });
    const rows = await pageAll(h.client, 'SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [gen], 3);
    expect(rs.rows).toHaveLength(3);
    expect(rows).toHaveLength(8);
    const ends = rows.map((r) => BigInt(r['range_end'].toString()));
    expect([...ends].sort((a, b) => (a < b ? -1 : 1))).toEqual(ends);
    rows.forEach((r, i) => {
      const streams = r['streams'] as Buffer[];
      expect(streams).toHaveLength(2);
      const prev = i === 0 ? ends[ends.length - 1]! : ends[i - 1]!;
      const shards = new Set<number>();
      for (const s of streams) {
        expect(s).toHaveLength(16);
        const low = s.readBigUInt64BE(8);
        expect(Number(low & 0xfn)).toBe(1);
        expect(Number((low >> 4n) & 0x3fffffn)).toBe(i);
        const tok = s.readBigInt64BE(0);
        const inRange = i === 0 ? tok > prev || tok <= ends[0]! : tok > prev && tok <= ends[i]!;
        expect(inRange).toBe(true);
        shards.add(shardOf(tok, 2));
      }
      expect(shards.size).toBe(2);
    });
  });

  it('addNode creates a later generation; writes switch streams at its timestamp', async () => {
    const tNew = h.emu.addNode({ delayMs: 2000 });
    const ts = await h.client.execute("SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'");
    expect(ts.rows.map((r) => (r['time'] as Date).getTime())).toEqual([tNew, expect.any(Number)]);
    const newGen = await h.client.execute('SELECT streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [new Date(tNew)], { prepare: true });
    expect(newGen.rows).toHaveLength(16);
    const newStreams = new Set(newGen.rows.flatMap((r) => (r['streams'] as Buffer[]).map((b) => b.toString('hex'))));
    const before = BigInt(tNew) * 1000n - 1n;
    const after = BigInt(tNew) * 1000n;
    await h.client.execute(`INSERT INTO g.t (pk, v) VALUES (1, 1) USING TIMESTAMP ${before}`);
    await h.client.execute(`INSERT INTO g.t (pk, v) VALUES (1, 2) USING TIMESTAMP ${after}`);
    const rows = await logRows(h.client, 'g', 't');
    expect(rows.map((r) => r['v'])).toEqual([1, 2]);
    expect(newStreams.has(rows[0]!['_stream'] as string)).toBe(false);
    expect(newStreams.has(rows[1]!['_stream'] as string)).toBe(true);
  });

  it('addNode is reachable over CQL through emulator.commands', async () => {
    await h.client.execute("INSERT INTO emulator.commands (name, arg) VALUES ('add_node', '{\"delayMs\": 4000}')");
    const ts = await h.client.execute("SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'");
    expect(ts.rows).toHaveLength(3);
  });

  it("writes before the first generation fail with 'could not find any CDC stream'", async () => {
    const late = await startHarness({ firstGenerationDelayMs: 60_000 });
    try {
      await late.client.execute("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await late.client.execute("CREATE TABLE k.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
      await expect(late.client.execute('INSERT INTO k.t (pk, v) VALUES (1, 1)')).rejects.toThrow(/could not find any CDC stream/);
      await late.client.execute("CREATE TABLE k.plain (pk int PRIMARY KEY, v int)");
      await late.client.execute('INSERT INTO k.plain (pk, v) VALUES (1, 1)');
    } finally { await late.close(); }
  });

  it('is deterministic under a seed', async () => {
    const a = await startHarness({ seed: 99 });
    const b = await startHarness({ seed: 99 });
    try {
      const q = 'SELECT streams FROM system_distributed.cdc_streams_descriptions_v2';
      const sa = (await a.client.execute(q)).rows.map((r) => (r['streams'] as Buffer[]).map((x) => x.toString('hex')).join());
      const sb = (await b.client.execute(q)).rows.map((r) => (r['streams'] as Buffer[]).map((x) => x.toString('hex')).join());
      expect(sa).toEqual(sb);
    } finally { await a.close(); await b.close(); }
  });
});

describe('tablets', () => {
  let h: Harness;
  beforeAll(async () => {
    // Switch duplication off: this case checks which stream a write lands in (duplication has its own case).
    h = await startHarness({ seed: 5, tablets: true, initialTablets: 2, switchDuplicateMs: 0 });
    await h.client.execute("CREATE KEYSPACE tb WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1} AND tablets = {'enabled': true}");
    await h.client.execute("CREATE TABLE tb.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => { await h.close(); });

  const streamsAt = async (ts: Date, state: number): Promise<string[]> => (await h.client.execute(
    'SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = ? AND table_name = ? AND timestamp = ? AND stream_state = ?',
    ['tb', 't', ts, state], { prepare: true })).rows.map((r: cassandra.types.Row) => (r['stream_id'] as Buffer).toString('hex')).sort();

  it('initial_tablets, cdc_timestamps and cdc_streams (first set listed as 0 and 2)', async () => {
    const ks = await h.client.execute("SELECT initial_tablets FROM system_schema.scylla_keyspaces WHERE keyspace_name = 'tb'");
    expect(ks.rows[0]!['initial_tablets']).toBe(2);
    const ts = await h.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tb' AND table_name = 't'");
    expect(ts.rows).toHaveLength(1);
    const t0 = ts.rows[0]!['timestamp'] as Date;
    const cur = await streamsAt(t0, 0);
    expect(cur).toHaveLength(2);
    expect(await streamsAt(t0, 2)).toEqual(cur);
    expect(cur.some((x) => x.startsWith('7fffffffffffffff'))).toBe(true);
    // scylladb test/boost/cdc_test.cc test_cdc_log_schema: the log's columns are the same with tablets, no static column.
    const md = await h.client.metadata.getTable('tb', 't_scylla_cdc_log');
    expect(md!.columns.some((c) => c.name === 'cdc$closed_time')).toBe(false);
    expect(md!.columns.filter((c) => isStatic(c))).toEqual([]);
  });

  it('split closes every stream (listed only in system.cdc_streams), opens two per tablet; merge reverses', async () => {
    await h.client.execute('INSERT INTO tb.t (pk, v) VALUES (1, 1)');
    const set = h.emu.splitTablet('tb', 't');
    const ts = await h.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tb' AND table_name = 't'");
    const times = ts.rows.map((r) => (r['timestamp'] as Date).getTime());
    expect(times).toEqual([set.ts, times[1]]);
    const t1 = new Date(set.ts);
    expect(await streamsAt(t1, 0)).toHaveLength(4);
    expect(await streamsAt(t1, 1)).toHaveLength(2);
    expect(await streamsAt(t1, 2)).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 5));
    await h.client.execute('INSERT INTO tb.t (pk, v) VALUES (1, 2)');
    const rows = await logRows(h.client, 'tb', 't');
    expect(rows.map((r) => r['v'])).toEqual([1, 2]);
    expect((await streamsAt(t1, 0)).includes(rows[1]!['_stream'] as string)).toBe(true);
    const merged = h.emu.mergeTablets('tb', 't');
    expect(merged.tablets).toHaveLength(2);
    expect(await streamsAt(new Date(merged.ts), 1)).toHaveLength(4);
  });
});

describe('fault injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 21 });
    await h.client.execute("CREATE KEYSPACE f WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await h.client.execute("CREATE TABLE f.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => { await h.close(); });

  it('read_timeout, write_timeout and unavailable errors reach the driver with their codes', async () => {
    const codes = cassandra.types.responseErrorCodes;
    const opts = { retry: new cassandra.policies.retry.FallthroughRetryPolicy() };
    h.emu.faults.failNext(1, 'read_timeout', /FROM f\.t/);
    await expect(h.client.execute('SELECT * FROM f.t', [], opts)).rejects.toMatchObject({ code: codes.readTimeout });
    h.emu.faults.failNext(1, 'write_timeout', /INTO f\.t/);
    await expect(h.client.execute('INSERT INTO f.t (pk, v) VALUES (1, 1)', [], opts)).rejects.toMatchObject({ code: codes.writeTimeout });
    h.emu.faults.failNext(1, 'unavailable');
    await expect(h.client.execute('SELECT * FROM f.t', [], opts)).rejects.toMatchObject({ code: codes.unavailableException });
    expect((await h.client.execute('SELECT * FROM f.t')).rows).toHaveLength(0);
  });

  it('a share of queries fails (failShare = 1 fails all matching; others pass)', async () => {
    h.emu.faults.set({ failShare: 1, failKind: 'write_timeout', match: 'INTO f\\.t' });
    const retry = new cassandra.policies.retry.FallthroughRetryPolicy();
    await expect(h.client.execute('INSERT INTO f.t (pk, v) VALUES (2, 2)', [], { retry })).rejects.toMatchObject({ code: cassandra.types.responseErrorCodes.writeTimeout });
    expect((await h.client.execute('SELECT * FROM f.t', [], { retry })).rows).toHaveLength(0);
    h.emu.faults.reset();
  });

  it('dropped connections: the driver reconnects and later queries succeed', async () => {
    const dropped = h.emu.dropConnections();
    expect(dropped).toBeGreaterThan(0);
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      try { await h.client.execute('SELECT * FROM f.t'); ok = true; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    expect(ok).toBe(true);
  });

  it('delayed responses still answer correctly', async () => {
    h.emu.faults.set({ delayMs: 50 });
    const start = Date.now();
    await h.client.execute('SELECT * FROM f.t');
    expect(Date.now() - start).toBeGreaterThanOrEqual(45);
    h.emu.faults.reset();
  });

  it('late visibility: a change appears after rows with later cdc$time, beyond the confidence window too', async () => {
    h.emu.faults.set({ lateVisibilityMs: 45_000 });
    await h.client.execute('INSERT INTO f.t (pk, v) VALUES (10, 1)');
    h.emu.faults.reset();
    await h.client.execute('INSERT INTO f.t (pk, v) VALUES (11, 2)');
    let rows = await logRows(h.client, 'f', 't');
    expect(rows.map((r) => r['v'])).toEqual([2]);
    // Make the hidden row visible now, as if 45 s had passed, and check its cdc$time is older.
    for (const p of h.emu.engine.catalog.table('f', 't_scylla_cdc_log').store.partitions.values()) for (const r of p.rows) delete r.vis;
    rows = await logRows(h.client, 'f', 't');
    expect(rows.map((r) => r['v'])).toEqual([1, 2]);
  });
});
