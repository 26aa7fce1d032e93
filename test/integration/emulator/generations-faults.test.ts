// Vnode generations (system_distributed, stream id layout, add-node switch), tablets stream sets
// (split/merge; no cdc$closed_time column, as upstream), and fault injection.
//
// Conformance vs self-consistency: an expectation taken from ScyllaDB's sources is written out here
// with the file it comes from. Counts that follow from the emulator's own configuration (vnodes per
// node, shards, the seed) are marked "self-consistency": they check the emulator against itself.
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStatic, logRows, pageAll, startHarness, type Harness } from './harness.js';

const TWO64 = 1n << 64n;
/**
 * ScyllaDB's shard of a token, written from dht/token.cc (shard_of: unbias, then
 * zero_based_shard_of: drop the ignored most significant bits, floor(0.token * shards)); the
 * ignored bits default to 12 (default_murmur3_partitioner_ignore_msb_bits, db/config.cc).
 */
function upstreamShardOf(token: bigint, shards: number, ignoreMsb = 12): number {
  const unbiased = (token + (1n << 63n)) & (TWO64 - 1n);
  return Number((((unbiased << BigInt(ignoreMsb)) & (TWO64 - 1n)) * BigInt(shards)) >> 64n);
}

/** cdc/generation.cc stream_id::stream_id: low qword = version (4 bits, version_1 = 1) | index (22 bits) << 4 | random (38 bits) << 26. */
function streamIdFields(id: Buffer): { token: bigint; version: number; index: number } {
  const low = id.readBigUInt64BE(8);
  return { token: id.readBigInt64BE(0), version: Number(low & 0xfn), index: Number((low >> 4n) & 0x3fffffn) };
}

/** cdc/generation.hh enum class stream_state: the stream_state column of system.cdc_streams. */
const STREAM_STATE = { current: 0, closed: 1, opened: 2 } as const;

describe('vnode generations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 11, vnodes: 8, shards: 2 });
    await h.client.execute("CREATE KEYSPACE g WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await h.client.execute("CREATE TABLE g.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => {
    await h.close();
  });

  it('publishes generations whose stream ids are laid out as cdc/generation.cc makes them', async () => {
    const ts = await h.client.execute("SELECT time, expired FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'");
    expect(ts.rows).toHaveLength(1);
    expect(ts.rows[0]!['expired']).toBeNull();
    const gen = ts.rows[0]!['time'] as Date;
    const rs = await h.client.execute('SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [gen], { prepare: true, fetchSize: 3 });
    const rows = await pageAll(h.client, 'SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [gen], 3);
    expect(rs.rows).toHaveLength(3);
    expect(rows).toHaveLength(8); // self-consistency: the harness's 8 vnodes, one description row each
    const ends = rows.map((r) => BigInt(r['range_end'].toString()));
    expect([...ends].sort((a, b) => (a < b ? -1 : 1))).toEqual(ends);
    rows.forEach((r, i) => {
      const streams = r['streams'] as Buffer[];
      expect(streams).toHaveLength(2); // self-consistency: the harness's 2 shards, one stream each
      const prev = i === 0 ? ends[ends.length - 1]! : ends[i - 1]!;
      // db/system_distributed_keyspace.cc: streams is a set<blob>, so it comes back in byte order.
      expect(streams.map((b) => b.toString('hex'))).toEqual(streams.map((b) => b.toString('hex')).sort());
      const fields = streams.map((s) => {
        expect(s).toHaveLength(16);
        return streamIdFields(s);
      });
      // cdc/generation.cc create_stream_ids: one stream_id per shard (shard_idx 0..shard_count-1), made of a
      // token of the range that shard owns and the range's index in token order; version_1 = 1.
      expect(fields.map((f) => f.version)).toEqual([1, 1]);
      expect(fields.map((f) => f.index)).toEqual([i, i]);
      expect(fields.map((f) => upstreamShardOf(f.token, 2)).sort()).toEqual([0, 1]);
      for (const { token } of fields) expect(i === 0 ? token > prev || token <= ends[0]! : token > prev && token <= ends[i]!).toBe(true);
    });
  });

  it('addNode creates a later generation; writes switch streams at its timestamp', async () => {
    const tNew = h.emu.addNode({ delayMs: 2000 });
    const ts = await h.client.execute("SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'");
    expect(ts.rows.map((r) => (r['time'] as Date).getTime())).toEqual([tNew, expect.any(Number)]);
    const newGen = await h.client.execute('SELECT streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [new Date(tNew)], { prepare: true });
    expect(newGen.rows).toHaveLength(16); // self-consistency: 2 nodes of the harness's 8 vnodes
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
    expect(ts.rows).toHaveLength(3); // self-consistency: the emulator's own command interface
  });

  it("writes before the first generation fail with 'could not find any CDC stream'", async () => {
    const late = await startHarness({ firstGenerationDelayMs: 60_000 });
    try {
      await late.client.execute("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      await late.client.execute("CREATE TABLE k.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
      await expect(late.client.execute('INSERT INTO k.t (pk, v) VALUES (1, 1)')).rejects.toThrow(/could not find any CDC stream/);
      await late.client.execute('CREATE TABLE k.plain (pk int PRIMARY KEY, v int)');
      await late.client.execute('INSERT INTO k.plain (pk, v) VALUES (1, 1)');
    } finally {
      await late.close();
    }
  });

  it('self-consistency, not conformance: the same seed gives the same streams', async () => {
    const a = await startHarness({ seed: 99 });
    const b = await startHarness({ seed: 99 });
    try {
      const q = 'SELECT streams FROM system_distributed.cdc_streams_descriptions_v2';
      const sa = (await a.client.execute(q)).rows.map((r) => (r['streams'] as Buffer[]).map((x) => x.toString('hex')).join());
      const sb = (await b.client.execute(q)).rows.map((r) => (r['streams'] as Buffer[]).map((x) => x.toString('hex')).join());
      expect(sa).toEqual(sb);
    } finally {
      await a.close();
      await b.close();
    }
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
  afterAll(async () => {
    await h.close();
  });

  /**
   * Tokens of the tablet streams: cdc/generation.cc create_table_streams_mutation and
   * generate_tablet_resize_update make one stream_id(last token of the tablet, index 0) per tablet;
   * with 2^n tablets the last tokens are dht/token.cc last_token_of_compaction_group(n, i), biased.
   */
  const TABLET_LAST_TOKENS = {
    2: ['7fffffffffffffff', 'ffffffffffffffff'], // (1<<63)-1 and max, biased: -1 and 2^63-1; sorted as hex
    4: ['3fffffffffffffff', '7fffffffffffffff', 'bfffffffffffffff', 'ffffffffffffffff'],
  };
  const tokensOf = (ids: string[]) => ids.map((x) => x.slice(0, 16));
  const allVersion1Index0 = (ids: string[]) =>
    ids.every((x) => {
      const f = streamIdFields(Buffer.from(x, 'hex'));
      return f.version === 1 && f.index === 0;
    });

  const streamsAt = async (ts: Date, state: number): Promise<string[]> =>
    (
      await h.client.execute('SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = ? AND table_name = ? AND timestamp = ? AND stream_state = ?', ['tb', 't', ts, state], {
        prepare: true,
      })
    ).rows
      .map((r: cassandra.types.Row) => (r['stream_id'] as Buffer).toString('hex'))
      .sort();

  it('initial_tablets, cdc_timestamps and cdc_streams (first set listed as current and opened)', async () => {
    const ks = await h.client.execute("SELECT initial_tablets FROM system_schema.scylla_keyspaces WHERE keyspace_name = 'tb'");
    expect(ks.rows[0]!['initial_tablets']).toBe(2);
    const ts = await h.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tb' AND table_name = 't'");
    expect(ts.rows).toHaveLength(1);
    const t0 = ts.rows[0]!['timestamp'] as Date;
    const cur = await streamsAt(t0, STREAM_STATE.current);
    expect(tokensOf(cur)).toEqual(TABLET_LAST_TOKENS[2]);
    expect(allVersion1Index0(cur)).toBe(true);
    expect(await streamsAt(t0, STREAM_STATE.opened)).toEqual(cur);
    // scylladb test/boost/cdc_test.cc test_cdc_log_schema: the log's columns are the same with tablets, no static column.
    const md = await h.client.metadata.getTable('tb', 't_scylla_cdc_log');
    expect(md!.columns.some((c) => c.name === 'cdc$closed_time')).toBe(false);
    expect(md!.columns.filter((c) => isStatic(c))).toEqual([]);
  });

  it('split closes every stream (listed only in system.cdc_streams), opens one per new tablet; merge reverses', async () => {
    await h.client.execute('INSERT INTO tb.t (pk, v) VALUES (1, 1)');
    const before = await streamsAt(
      (await h.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tb' AND table_name = 't'")).rows[0]!['timestamp'] as Date,
      STREAM_STATE.current,
    );
    const set = h.emu.splitTablet('tb', 't');
    const ts = await h.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tb' AND table_name = 't'");
    const times = ts.rows.map((r) => (r['timestamp'] as Date).getTime());
    expect(times).toEqual([set.ts, times[1]]);
    const t1 = new Date(set.ts);
    // cdc/metadata.cc generate_stream_diff compares stream ids, and each new id has fresh random bits
    // (cdc/generation.cc stream_id::stream_id): a tablet keeping its last token still gets a new stream.
    const current = await streamsAt(t1, STREAM_STATE.current);
    expect(tokensOf(current)).toEqual(TABLET_LAST_TOKENS[4]);
    expect(allVersion1Index0(current)).toBe(true);
    expect(await streamsAt(t1, STREAM_STATE.closed)).toEqual(before);
    expect(await streamsAt(t1, STREAM_STATE.opened)).toEqual(current);
    await new Promise((r) => setTimeout(r, 5));
    await h.client.execute('INSERT INTO tb.t (pk, v) VALUES (1, 2)');
    const rows = await logRows(h.client, 'tb', 't');
    expect(rows.map((r) => r['v'])).toEqual([1, 2]);
    expect(current.includes(rows[1]!['_stream'] as string)).toBe(true);
    const merged = h.emu.mergeTablets('tb', 't');
    expect(merged.tablets).toHaveLength(2);
    const t2 = new Date(merged.ts);
    expect(await streamsAt(t2, STREAM_STATE.closed)).toEqual(current);
    expect(tokensOf(await streamsAt(t2, STREAM_STATE.opened))).toEqual(TABLET_LAST_TOKENS[2]);
  });
});

describe('fault injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 21 });
    await h.client.execute("CREATE KEYSPACE f WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await h.client.execute("CREATE TABLE f.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => {
    await h.close();
  });

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
      try {
        await h.client.execute('SELECT * FROM f.t');
        ok = true;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
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
