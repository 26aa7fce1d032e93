// Scylla emulator speed check (issue 3): single-row INSERTs/s from one driver client with CDC on,
// and CDC log rows/s served to a paging reader. Run: npx tsx bench/emulator-throughput.ts
// The emulator runs in this process, so client and server share the CPU (a conservative setup).
import cassandra from 'cassandra-driver';
import { startEmulator } from '../test/support/scylla-emulator/index.js';

const INSERTS = Number(process.env.BENCH_INSERTS ?? 40_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 128);
const LOG_ROWS = Number(process.env.BENCH_LOG_ROWS ?? 300_000);
const FETCH_SIZE = Number(process.env.BENCH_FETCH_SIZE ?? 5000);

const emu = await startEmulator({ port: 0, seed: 1 });
const client = new cassandra.Client({
  contactPoints: [emu.contactPoint],
  localDataCenter: 'datacenter1',
  pooling: { maxRequestsPerConnection: 2048 },
});
await client.connect();
await client.execute("CREATE KEYSPACE bench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
await client.execute("CREATE TABLE bench.w (pk bigint, ck int, v text, n int, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true}");
await client.execute("CREATE TABLE bench.r (pk bigint, ck int, v text, n int, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true}");

// 1. single-row INSERTs with CDC, CONCURRENCY in flight.
const insert = 'INSERT INTO bench.w (pk, ck, v, n) VALUES (?, ?, ?, ?)';
await client.execute(insert, [cassandra.types.Long.fromNumber(-1), 0, 'warmup', 0], { prepare: true });
let next = 0;
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < INSERTS) {
      const i = next++;
      await client.execute(insert, [cassandra.types.Long.fromNumber(i % 10_000), i, `value-${i}`, i], { prepare: true });
    }
  }),
);
const insertSecs = Number(process.hrtime.bigint() - t0) / 1e9;
const insertRate = INSERTS / insertSecs;

// 2. a paging reader over the log, stream by stream (Java-style per-stream queries).
const tb = process.hrtime.bigint();
emu.bulkWrite({ keyspace: 'bench', table: 'r', count: LOG_ROWS, row: (i) => ({ pk: BigInt(i % 50_000), ck: i, v: `value-${i}`, n: i }) });
const bulkSecs = Number(process.hrtime.bigint() - tb) / 1e9;
const gens = await client.execute('SELECT streams FROM system_distributed.cdc_streams_descriptions_v2');
const streams = gens.rows.flatMap((r) => r['streams'] as Buffer[]);
const q = 'SELECT * FROM bench.r_scylla_cdc_log WHERE "cdc$stream_id" = ? AND "cdc$time" >= minTimeuuid(?) BYPASS CACHE';
let read = 0;
const t1 = process.hrtime.bigint();
for (const s of streams) {
  let pageState: string | undefined;
  do {
    const rs = await client.execute(q, [s, new Date(0)], { prepare: true, fetchSize: FETCH_SIZE, pageState });
    read += rs.rows.length;
    pageState = rs.pageState ?? undefined;
  } while (pageState);
}
const readSecs = Number(process.hrtime.bigint() - t1) / 1e9;
const readRate = read / readSecs;

await client.shutdown();
await emu.close();

const report = {
  inserts: { rows: INSERTS, concurrency: CONCURRENCY, seconds: +insertSecs.toFixed(2), rowsPerSecond: Math.round(insertRate), target: 10_000 },
  logRead: { rows: read, streams: streams.length, fetchSize: FETCH_SIZE, seconds: +readSecs.toFixed(2), rowsPerSecond: Math.round(readRate), target: 50_000 },
  bulkWrite: { rows: LOG_ROWS, seconds: +bulkSecs.toFixed(2), rowsPerSecond: Math.round(LOG_ROWS / bulkSecs) },
};
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
if (read !== LOG_ROWS) {
  process.stderr.write(`expected ${LOG_ROWS} log rows, read ${read}\n`);
  process.exitCode = 1;
}
