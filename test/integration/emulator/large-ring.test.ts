// A ring the size of a 100-node × 256-vnode × 8-shard cluster (204,800 streams per generation),
// served without storing a row per stream: the description partition is derived when read and
// paged like any other (ScyllaDB holds it as one partition of one row per vnode range,
// db/system_distributed_keyspace.cc `get_cdc_streams_descriptions_v2_mutation`); and a table of
// 8,192 tablets, whose system.cdc_streams is derived too (a virtual table upstream).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageAll, startHarness, type Harness } from './harness.js';

const VNODES = 25_600;
const SHARDS = 8;

describe('a 25,600-vnode × 8-shard ring', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 5, vnodes: VNODES, shards: SHARDS });
    await h.client.execute("CREATE KEYSPACE big WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    await h.client.execute("CREATE TABLE big.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists every stream of the generation through paging, and every write lands in a listed stream', async () => {
    const ts = await h.client.execute("SELECT time FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'");
    const gen = ts.rows[0]!['time'] as Date;
    const rows = await pageAll(h.client, 'SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?', [gen], 1000);
    expect(rows).toHaveLength(VNODES);
    const ends = rows.map((r) => BigInt(r['range_end'].toString()));
    expect(ends.every((e, i) => i === 0 || ends[i - 1]! < e)).toBe(true);
    const streams = new Set(rows.flatMap((r) => (r['streams'] as Buffer[]).map((b) => b.toString('hex'))));
    expect(streams.size).toBe(VNODES * SHARDS);

    for (let pk = 0; pk < 200; pk++) await h.client.execute('INSERT INTO big.t (pk, v) VALUES (?, ?)', [pk, pk], { prepare: true });
    const log = await h.client.execute('SELECT "cdc$stream_id" FROM big.t_scylla_cdc_log', [], { fetchSize: 10_000 });
    expect(log.rows).toHaveLength(200);
    const missing = log.rows.map((r) => (r['cdc$stream_id'] as Buffer).toString('hex')).filter((s) => !streams.has(s));
    expect(missing).toEqual([]);
  });

  it('stores no description row: the table is derived from the ring', () => {
    const descr = h.emu.engine.catalog.findTable('system_distributed', 'cdc_streams_descriptions_v2')!;
    expect(descr.store.partitions.size).toBe(0);
  });
});

describe('a table of 8,192 tablets', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 6, tablets: true, initialTablets: 8_192 });
    await h.client.execute("CREATE KEYSPACE tk WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 1}");
    await h.client.execute("CREATE TABLE tk.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}");
  });
  afterAll(async () => {
    await h?.close();
  });

  const streams = async (ts: Date, state: number): Promise<Set<string>> => {
    const rows = await pageAll(
      h.client,
      'SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = ? AND table_name = ? AND timestamp = ? AND stream_state = ?',
      ['tk', 't', ts, state],
      1000,
    );
    return new Set(rows.map((r) => (r['stream_id'] as Buffer).toString('hex')));
  };

  it('serves its stream sets derived (cdc/generation.hh stream_state 0 current, 1 closed, 2 opened), paged, with nothing stored', async () => {
    const first = (await h.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tk' AND table_name = 't'")).rows.map((r) => r['timestamp'] as Date);
    expect(first).toHaveLength(1);
    const cur0 = await streams(first[0]!, 0);
    expect(cur0.size).toBe(8_192);
    expect(await streams(first[0]!, 2)).toEqual(cur0); // the first set: every stream opened
    h.emu.splitTablet('tk', 't', { delayMs: 0 });
    const both = (await h.client.execute("SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = 'tk' AND table_name = 't'")).rows.map((r) => r['timestamp'] as Date);
    expect(both).toHaveLength(2);
    expect(both[0]!.getTime()).toBeGreaterThan(both[1]!.getTime()); // CLUSTERING ORDER BY (timestamp DESC)
    const cur1 = await streams(both[0]!, 0);
    expect(cur1.size).toBe(16_384);
    expect(await streams(both[0]!, 1)).toEqual(new Set([...cur0].filter((s) => !cur1.has(s))));
    expect(await streams(both[0]!, 2)).toEqual(new Set([...cur1].filter((s) => !cur0.has(s))));
    for (const name of ['cdc_streams', 'cdc_timestamps']) expect(h.emu.engine.catalog.findTable('system', name)!.store.partitions.size).toBe(0);
  });
});
