// Driver-facing surface: default-options connect, metadata (getTable), Murmur3 tokens, prepared
// pk_index, token-range scans with paging, and the log queries real CDC readers send.
import cassandra from 'cassandra-driver';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { murmur3Token } from '../../support/scylla-emulator/murmur3.js';
import { isStatic, pageAll, startHarness, type Harness } from './harness.js';

const require = createRequire(import.meta.url);
const KS = 'drv';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seed: 3 });
  await h.client.execute(`CREATE KEYSPACE ${KS} WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}`);
  await h.client.execute(`CREATE TYPE ${KS}.addr (street text, zip int)`);
  await h.client.execute(`CREATE TABLE ${KS}.all_types (a int, b text, c timestamp, ascii_c ascii, bigint_c bigint, blob_c blob, bool_c boolean,
    date_c date, dec_c decimal, dbl_c double, flt_c float, inet_c inet, small_c smallint, time_c time, tuuid_c timeuuid, tiny_c tinyint,
    uuid_c uuid, varint_c varint, l list<int>, fl frozen<list<text>>, st set<text>, m map<text, int>, fm frozen<map<int, text>>,
    tup tuple<int, text>, ad addr, fad frozen<addr>, st_c int static,
    PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC) AND cdc = {'enabled': true}`);
});
afterAll(async () => {
  await h.close();
});

describe('driver connection and metadata', () => {
  it('connects with default options and reports datacenter1 / release 3.0.8', async () => {
    const host = h.client.hosts.values()[0]!;
    expect(host.datacenter).toBe('datacenter1');
    expect(host.cassandraVersion).toBe('3.0.8');
    const peers = await h.client.execute('SELECT COUNT(*) FROM system.peers');
    expect(Number(peers.rows[0]!['count'])).toBe(0);
  });

  it('getTable returns columns, keys, clustering order and types', async () => {
    const t = await h.client.metadata.getTable(KS, 'all_types');
    expect(t!.partitionKeys.map((c) => c.name)).toEqual(['a', 'b']);
    expect(t!.clusteringKeys.map((c) => c.name)).toEqual(['c']);
    expect(t!.clusteringOrder).toEqual(['DESC']);
    const byName = Object.fromEntries(t!.columns.map((c) => [c.name, c]));
    const dt = cassandra.types.dataTypes;
    expect(isStatic(byName['st_c'])).toBe(true);
    expect(byName['l']!.type.code).toBe(dt.list);
    expect(byName['m']!.type.code).toBe(dt.map);
    expect(byName['tup']!.type.code).toBe(dt.tuple);
    expect(byName['ad']!.type.code).toBe(dt.udt);
    expect((byName['ad']!.type.info as unknown as { fields: { name: string }[] }).fields.map((f) => f.name)).toEqual(['street', 'zip']);
    expect(byName['fl']!.type.options.frozen).toBe(true);
    expect(byName['l']!.type.options.frozen).toBe(false);
    expect(byName['varint_c']!.type.code).toBe(dt.varint);
    expect(byName['tuuid_c']!.type.code).toBe(dt.timeuuid);
    expect(t!.extensions['cdc']).toBeInstanceOf(Buffer);
  });

  it('round-trips every scalar and collection type through prepared statements', async () => {
    const values = {
      a: 1,
      b: 'x',
      c: new Date(1700000000123),
      ascii_c: 'asc',
      bigint_c: cassandra.types.Long.fromString('9007199254740993'),
      blob_c: Buffer.from('beef', 'hex'),
      bool_c: true,
      date_c: new cassandra.types.LocalDate(2024, 2, 29),
      dec_c: cassandra.types.BigDecimal.fromString('12.345'),
      dbl_c: 1.5,
      flt_c: 2.5,
      inet_c: cassandra.types.InetAddress.fromString('10.0.0.1'),
      small_c: 7,
      time_c: cassandra.types.LocalTime.fromString('12:34:56.789'),
      tuuid_c: cassandra.types.TimeUuid.now(),
      tiny_c: -3,
      uuid_c: cassandra.types.Uuid.random(),
      varint_c: cassandra.types.Integer.fromString('123456789012345678901234567890'),
      l: [3, 1, 2],
      fl: ['p', 'q'],
      st: ['b', 'a'],
      m: { k: 1 },
      fm: { 2: 'two' },
      tup: new cassandra.types.Tuple(1, 'one'),
      ad: { street: 's', zip: 5 },
      fad: { street: 'f', zip: 6 },
      st_c: 9,
    };
    const cols = Object.keys(values);
    await h.client.execute(`INSERT INTO ${KS}.all_types (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`, Object.values(values), { prepare: true });
    const rs = await h.client.execute(`SELECT * FROM ${KS}.all_types WHERE a = ? AND b = ?`, [1, 'x'], { prepare: true });
    const r = rs.rows[0]!;
    expect(r['c'].getTime()).toBe(1700000000123);
    expect(r['bigint_c'].toString()).toBe('9007199254740993');
    expect(r['date_c'].toString()).toBe('2024-02-29');
    expect(r['dec_c'].toString()).toBe('12.345');
    expect(r['inet_c'].toString()).toBe('10.0.0.1');
    expect(r['time_c'].toString()).toBe('12:34:56.789');
    expect(r['varint_c'].toString()).toBe('123456789012345678901234567890');
    expect(r['l']).toEqual([3, 1, 2]);
    expect(r['st']).toEqual(['a', 'b']);
    expect(r['m']).toEqual({ k: 1 });
    expect(r['tup'].values()).toEqual([1, 'one']);
    expect(r['ad']).toEqual({ street: 's', zip: 5 });
    expect(r['st_c']).toBe(9);
  });
});

describe('tokens and routing', () => {
  it("Murmur3 tokens match the driver's Murmur3Tokenizer", () => {
    const { Murmur3Tokenizer } = require('cassandra-driver/lib/tokenizer.js') as { Murmur3Tokenizer: new () => { hash(b: Buffer): { getValue(): { toString(): string } } } };
    const tk = new Murmur3Tokenizer();
    for (const hex of ['', '00', '00000001', '0102030405060708090a0b0c0d0e0f', '0102030405060708090a0b0c0d0e0f10ff', 'ffffffff', '8081828384858687']) {
      const b = Buffer.from(hex, 'hex');
      expect(murmur3Token(b).toString()).toBe(tk.hash(b).getValue().toString());
    }
    for (let i = 0; i < 200; i++) {
      const b = Buffer.alloc(4);
      b.writeInt32BE(i * 7919);
      expect(murmur3Token(b).toString()).toBe(tk.hash(b).getValue().toString());
    }
  });

  it('prepared metadata carries pk_index for token-aware routing', async () => {
    await h.client.execute(`CREATE TABLE ${KS}.pki (x int, y text, z int, PRIMARY KEY ((y, x), z))`);
    const q = `INSERT INTO ${KS}.pki (z, x, y) VALUES (?, ?, ?)`;
    await h.client.execute(q, [1, 2, 'a'], { prepare: true });
    const p = [...h.emu.engine.prepared.values()].find((x) => x.query === q)!;
    expect(p.binds.pkIndexes).toEqual([2, 1]);
  });

  it('token() range scans return every partition exactly once, with paging', async () => {
    await h.client.execute(`CREATE TABLE ${KS}.scan (pk int, ck int, v int, PRIMARY KEY (pk, ck))`);
    for (let i = 0; i < 60; i++) await h.client.execute(`INSERT INTO ${KS}.scan (pk, ck, v) VALUES (?, ?, ?)`, [i % 20, i, i], { prepare: true });
    const bounds = [-(2n ** 63n), -(2n ** 62n), 0n, 2n ** 62n, 2n ** 63n - 1n];
    const seen: number[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const q = `SELECT pk, ck, token(pk) AS t FROM ${KS}.scan WHERE token(pk) > ? AND token(pk) <= ?`;
      let pageState: string | undefined;
      do {
        const rs = await h.client.execute(q, [cassandra.types.Long.fromString(bounds[i]!.toString()), cassandra.types.Long.fromString(bounds[i + 1]!.toString())], {
          prepare: true,
          fetchSize: 7,
          pageState,
        });
        for (const r of rs.rows) {
          const t = BigInt(r['t'].toString());
          expect(t > bounds[i]! && t <= bounds[i + 1]!).toBe(true);
          seen.push(r['ck'] as number);
        }
        pageState = rs.pageState ?? undefined;
      } while (pageState);
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('clustering restrictions, ORDER BY DESC, LIMIT, PER PARTITION LIMIT, IN on the partition key', async () => {
    const rows = async (q: string, p: unknown[] = []): Promise<number[]> => (await h.client.execute(q, p, { prepare: true })).rows.map((r) => r['ck'] as number);
    expect(await rows(`SELECT ck FROM ${KS}.scan WHERE pk = 1 AND ck >= 21 AND ck < 60`)).toEqual([21, 41]);
    expect(await rows(`SELECT ck FROM ${KS}.scan WHERE pk = 1 ORDER BY ck DESC`)).toEqual([41, 21, 1]);
    expect(await rows(`SELECT ck FROM ${KS}.scan WHERE pk IN (1, 2) PER PARTITION LIMIT 1`)).toHaveLength(2);
    expect(await rows(`SELECT ck FROM ${KS}.scan WHERE pk IN ? LIMIT 4`, [[1, 2, 3]])).toHaveLength(4);
  });
});

describe('errors', () => {
  it('syntax, invalid and already-exists errors carry their codes', async () => {
    const codes = cassandra.types.responseErrorCodes;
    await expect(h.client.execute('SELEC * FROM x')).rejects.toMatchObject({ code: codes.syntaxError });
    await expect(h.client.execute(`SELECT * FROM ${KS}.nope`)).rejects.toMatchObject({ code: codes.invalid });
    await expect(h.client.execute(`CREATE TABLE ${KS}.scan (pk int PRIMARY KEY)`)).rejects.toMatchObject({ code: codes.alreadyExists });
    await expect(h.client.execute(`CREATE KEYSPACE ${KS} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`)).rejects.toMatchObject({
      code: codes.alreadyExists,
    });
  });

  it('an unknown prepared id answers UNPREPARED and the driver re-prepares transparently', async () => {
    const q = `SELECT v FROM ${KS}.scan WHERE pk = ? AND ck = ?`;
    await h.client.execute(q, [1, 1], { prepare: true });
    h.emu.engine.prepared.clear();
    const rs = await h.client.execute(q, [1, 1], { prepare: true });
    expect(rs.rows[0]!['v']).toBe(1);
  });
});

describe('log queries sent by CDC readers', () => {
  it('stream = ?, IN, minTimeuuid/maxTimeuuid windows, BYPASS CACHE, PER PARTITION LIMIT, COUNT(*) and paging', async () => {
    await h.client.execute(`CREATE TABLE ${KS}.lq (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
    const start = Date.now() - 1;
    for (let i = 0; i < 50; i++) await h.client.execute(`INSERT INTO ${KS}.lq (pk, v) VALUES (?, ?)`, [i, i], { prepare: true });
    const end = Date.now() + 1;
    const all = await h.client.execute(`SELECT "cdc$stream_id", "cdc$time", pk FROM ${KS}.lq_scylla_cdc_log`, [], { fetchSize: 1000 });
    expect(all.rows).toHaveLength(50);
    const streams = [...new Set(all.rows.map((r) => (r['cdc$stream_id'] as Buffer).toString('hex')))].map((x) => Buffer.from(x, 'hex'));
    const perStream = await Promise.all(
      streams.map(
        async (s) =>
          (
            await h.client.execute(
              `SELECT * FROM ${KS}.lq_scylla_cdc_log WHERE "cdc$stream_id" = ? AND "cdc$time" > minTimeuuid(?) AND "cdc$time" <= maxTimeuuid(?) BYPASS CACHE`,
              [s, new Date(start), new Date(end)],
              { prepare: true },
            )
          ).rows.length,
      ),
    );
    expect(perStream.reduce((a, b) => a + b, 0)).toBe(50);
    const inRs = await h.client.execute(
      `SELECT pk FROM ${KS}.lq_scylla_cdc_log WHERE "cdc$stream_id" IN ? AND "cdc$time" >= minTimeuuid(?) AND "cdc$time" < minTimeuuid(?) BYPASS CACHE`,
      [streams, new Date(start), new Date(end)],
      { prepare: true, fetchSize: 7 },
    );
    const paged = await pageAll(
      h.client,
      `SELECT pk FROM ${KS}.lq_scylla_cdc_log WHERE "cdc$stream_id" IN ? AND "cdc$time" >= minTimeuuid(?) BYPASS CACHE`,
      [streams, new Date(start)],
      7,
    );
    expect(paged.map((r) => r['pk'] as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(inRs.rows.length).toBe(7);
    const empty = await h.client.execute(`SELECT * FROM ${KS}.lq_scylla_cdc_log WHERE "cdc$stream_id" IN ? AND "cdc$time" > maxTimeuuid(?)`, [streams, new Date(end + 1000)], {
      prepare: true,
    });
    expect(empty.rows).toHaveLength(0);
    const ppl = await h.client.execute(`SELECT "cdc$stream_id" FROM ${KS}.lq_scylla_cdc_log WHERE "cdc$stream_id" IN ? PER PARTITION LIMIT 1`, [streams], { prepare: true });
    expect(ppl.rows).toHaveLength(streams.length);
    const cnt = await h.client.execute(`SELECT COUNT(*) FROM ${KS}.lq_scylla_cdc_log WHERE "cdc$stream_id" = ?`, [streams[0]], { prepare: true });
    expect(Number(cnt.rows[0]!['count'])).toBe(perStream[0]);
    // Within a stream, rows come back in (cdc$time, batch_seq_no) order.
    const one = await h.client.execute(`SELECT "cdc$time" FROM ${KS}.lq_scylla_cdc_log WHERE "cdc$stream_id" = ?`, [streams[0]], { prepare: true });
    const times = one.rows.map((r) => (r['cdc$time'] as cassandra.types.TimeUuid).getDate().getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
