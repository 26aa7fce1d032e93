// A ring the size of a 100-node × 256-vnode × 8-shard cluster (204,800 streams per generation),
// served without storing a row per stream: the description partition is derived when read and
// paged like any other (ScyllaDB holds it as one partition of one row per vnode range,
// db/system_distributed_keyspace.cc `get_cdc_streams_descriptions_v2_mutation`).
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
  afterAll(async () => { await h?.close(); });

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
