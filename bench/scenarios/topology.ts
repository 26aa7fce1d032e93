/**
 * `topology`: what the number of CDC streams costs the source (issue 19). Starts its own Scylla
 * emulator process with a ring of N streams (`--streams 16|20000|200000`: 8 × 2, 2,500 × 8 or
 * 25,600 × 8 vnodes × shards), one source process (the real CLI), and measures, in this order:
 *   1. spawn → first record in Kafka of one change written at spawn (start-up + cold start);
 *   2. idle (no writes) for --idle-s: log queries per second (the source's cdc_source_queries_total)
 *      and the source's CPU seconds per minute (/proc utime + stime of its process tree);
 *   3. one write while idle → its record in Kafka (LogAppendTime − write time);
 *   4. the source stopped (SIGTERM), a backlog of --backlog changes over --backlog-partitions
 *      partitions written, the source started again: catch-up rate;
 *   5. what the source wrote to its offsets topic (records, bytes, the latest value per key);
 *   6. peak RSS of the source and of the emulator.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { BenchChild, processTree } from '../lib/procs.js';
import { createTopic, KAFKA_BROKERS } from '../lib/kafka.js';
import { log, round, sleep } from '../lib/util.js';
import { metricSum, total } from '../lib/metrics-scrape.js';
import { freePort } from '../../test/helpers/free-port.js';

export const TOPOLOGIES: Record<string, { vnodes: number; shards: number }> = {
  '16': { vnodes: 8, shards: 2 },
  '20000': { vnodes: 2_500, shards: 8 },
  '200000': { vnodes: 25_600, shards: 8 },
};

export interface TopologyOptions {
  repo: string;
  runId: string;
  tmp: string;
  streams: string;
  idleS: number;
  backlog: number;
  backlogPartitions: number;
  stallMs: number;
  /** Spawns our source process (dist or tsx) with these variables. */
  source: (name: string, env: Record<string, string>) => BenchChild;
}

export interface TopologyOutcome {
  completed: boolean;
  reason: string;
  catchUpChangesPerSec: number | null;
  idleWriteLatencyMs: number | null;
  seconds: Record<string, number | null>;
  peakRssMb: Record<string, number>;
  details: Record<string, unknown>;
}

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | null> | T | null, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime (seconds) of a process tree. */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / CLK_TCK;
}

/** Counts the data topic's committed records and notes each one's append time. */
async function topicWatcher(runId: string, topic: string) {
  const consumer = new Kafka({ clientId: `${runId}-topology-reader`, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).consumer({
    groupId: `${runId}-topology-reader`,
    readUncommitted: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const appends: number[] = [];
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) if (m.value) appends.push(Number(m.timestamp));
    },
  });
  return { appends, close: () => consumer.disconnect() };
}

/** Everything in the offsets topic: record count, bytes, and the latest value per key (compacted view). */
async function readOffsetsTopic(runId: string, topic: string): Promise<Record<string, number>> {
  const k = new Kafka({ clientId: `${runId}-offsets-reader`, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const admin = k.admin();
  await admin.connect();
  const high = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const target = high.reduce((n, p) => n + Number(p.high), 0);
  const consumer = k.consumer({ groupId: `${runId}-offsets-reader`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const latest = new Map<string, number>();
  let records = 0;
  let bytes = 0;
  let maxValue = 0;
  let seenOffsets = 0;
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (!m.value) continue;
        records++;
        const size = m.value.length + (m.key?.length ?? 0);
        bytes += size;
        maxValue = Math.max(maxValue, m.value.length);
        latest.set(m.key?.toString() ?? '', size);
      }
      seenOffsets = Math.max(seenOffsets, Number(batch.lastOffset()) + 1);
    },
  });
  // Committed records plus transaction markers reach the high watermark; stop when nothing moves.
  let last = -1;
  for (let i = 0; i < 100 && (records !== last || i < 20); i++) {
    last = records;
    await sleep(200);
  }
  await consumer.disconnect();
  return { records, bytes, maxValueBytes: maxValue, keys: latest.size, latestBytes: [...latest.values()].reduce((a, b) => a + b, 0), highWatermarkSum: target, seenOffsets };
}

export async function runTopology(o: TopologyOptions): Promise<TopologyOutcome> {
  const topo = TOPOLOGIES[o.streams];
  if (!topo) throw new Error(`--streams must be one of ${Object.keys(TOPOLOGIES).join(', ')}`);
  const out: TopologyOutcome = {
    completed: false,
    reason: '',
    catchUpChangesPerSec: null,
    idleWriteLatencyMs: null,
    seconds: {},
    peakRssMb: {},
    details: { ...topo, streams: topo.vnodes * topo.shards },
  };
  const emuPort = await freePort();
  const emuLog = join(o.tmp, 'emulator.log');
  const t0 = performance.now();
  const emulator = new BenchChild(
    'emulator',
    process.execPath,
    ['--import', 'tsx', 'test/support/scylla-emulator/main.ts', '--port', String(emuPort), '--vnodes', String(topo.vnodes), '--shards', String(topo.shards), '--seed', '1'],
    { cwd: o.repo, env: process.env, logFile: emuLog },
  );
  let client: cassandra.Client | null = null;
  let source: BenchChild | null = null;
  let watcher: Awaited<ReturnType<typeof topicWatcher>> | null = null;
  try {
    const emuReady = (): string => {
      try {
        return readFileSync(emuLog, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor('the emulator', 120_000, () =>
      emuReady().includes('ready') ? true : emulator.running ? null : Promise.reject(new Error(`emulator exited ${emulator.exitCode}`)),
    );
    out.seconds.emulatorStart = round((performance.now() - t0) / 1000, 2);
    client = new cassandra.Client({ contactPoints: [`127.0.0.1:${emuPort}`], localDataCenter: 'datacenter1', protocolOptions: { port: emuPort } });
    await client.connect();
    const ks = o.runId;
    await client.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE ${ks}.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
    const insert = `INSERT INTO ${ks}.t (pk, v) VALUES (?, ?)`;
    const topic = `${o.runId}.topology.t`;
    await createTopic(topic, 6, { 'message.timestamp.type': 'LogAppendTime' });
    watcher = await topicWatcher(o.runId, topic);
    const metricsPort = await freePort();
    const env = {
      SCYLLA_CONTACT_POINTS: `127.0.0.1:${emuPort}`,
      SCYLLA_LOCAL_DC: 'datacenter1',
      SCYLLA_TABLES: `${ks}.t`,
      KAFKA_TOPIC_TEMPLATE: `${o.runId}.topology.{table}`,
      KAFKA_TOPIC_PARTITIONS: '6',
      SOURCE_NAME: `${o.runId}_topology`,
      SNAPSHOT_MODE: 'never',
      CDC_START: 'earliest',
      METRICS_PORT: String(metricsPort),
    };
    const w = watcher;
    const recordsAtLeast = (n: number, what: string, timeoutMs = o.stallMs) =>
      waitFor(
        what,
        timeoutMs,
        () => (w.appends.length >= n ? w.appends[n - 1]! : source && !source.running ? Promise.reject(new Error(`source exited ${source.exitCode}`)) : null),
        50,
      );

    // 1. Start-up: spawn, one change written at once, its record in Kafka.
    const spawnAt = performance.now();
    source = o.source('source', env);
    await client.execute(insert, [-1, 0], { prepare: true });
    await recordsAtLeast(1, 'the first record');
    out.seconds.startToFirstRecord = round((performance.now() - spawnAt) / 1000, 2);
    await waitFor('/readyz', o.stallMs, async () => ((await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => null))?.status === 200 ? true : null), 250);
    out.seconds.startToReady = round((performance.now() - spawnAt) / 1000, 2);

    // 2. Idle.
    await sleep(5_000);
    const q0 = await metricSum(metricsPort, 'cdc_source_queries_total');
    const c0 = cpuSeconds(source.pid);
    const i0 = performance.now();
    await sleep(o.idleS * 1000);
    const idleS = (performance.now() - i0) / 1000;
    const q1 = await metricSum(metricsPort, 'cdc_source_queries_total');
    const c1 = cpuSeconds(source.pid);
    const byKind: Record<string, number> = {};
    for (const k of new Set([...Object.keys(q0), ...Object.keys(q1)])) byKind[k] = round(((q1[k] ?? 0) - (q0[k] ?? 0)) / idleS, 1);
    out.details.idle = {
      seconds: round(idleS, 1),
      logQueriesPerSec: round((total(q1) - total(q0)) / idleS, 1),
      queriesPerSecByKind: byKind,
      cpuSecondsPerMinute: round(((c1 - c0) / idleS) * 60, 2),
    };
    log(`topology ${o.streams}: idle ${JSON.stringify(out.details.idle)}`);

    // 3. One write while idle.
    const writeAt = Date.now();
    await client.execute(insert, [-2, 0], { prepare: true });
    const appended = await recordsAtLeast(2, 'the idle write');
    out.idleWriteLatencyMs = appended - writeAt;

    // 4. Backlog while stopped, then catch-up.
    await source.stop();
    out.peakRssMb['source-first-run'] = source.memory().peakRssMb;
    const bw0 = performance.now();
    let next = 0;
    const writeOne = async (): Promise<void> => {
      while (next < o.backlog) {
        const i = next++;
        await client!.execute(insert, [i % o.backlogPartitions, i], { prepare: true });
      }
    };
    await Promise.all(Array.from({ length: 32 }, writeOne));
    out.seconds.backlogWrite = round((performance.now() - bw0) / 1000, 2);
    const before = w.appends.length;
    const restartAt = performance.now();
    source = o.source('source-restart', env);
    await recordsAtLeast(before + 1, 'the first backlog record');
    const firstAt = performance.now();
    out.seconds.restartToFirstRecord = round((firstAt - restartAt) / 1000, 2);
    await recordsAtLeast(before + o.backlog, 'the whole backlog', Math.max(o.stallMs, 600_000));
    const doneAt = performance.now();
    const firstAppend = w.appends[before]!;
    const lastAppend = w.appends[before + o.backlog - 1]!;
    out.seconds.catchUpWall = round((doneAt - restartAt) / 1000, 2);
    out.seconds.catchUpAppendSpan = round((lastAppend - firstAppend) / 1000, 2);
    out.catchUpChangesPerSec = round(o.backlog / Math.max(0.001, (doneAt - restartAt) / 1000));
    out.details.catchUp = {
      changes: o.backlog,
      partitions: o.backlogPartitions,
      changesPerSecIncludingStart: out.catchUpChangesPerSec,
      changesPerSecFirstToLast: round(o.backlog / Math.max(0.001, (lastAppend - firstAppend) / 1000)),
    };
    await sleep(6_000); // one more checkpoint interval, so the idle checkpoint after the backlog is written
    await source.stop();
    out.peakRssMb['source'] = Math.max(out.peakRssMb['source-first-run'] ?? 0, source.memory().peakRssMb);

    // 5. Checkpoints.
    out.details.checkpoints = await readOffsetsTopic(o.runId, `_scylla-pg-cdc.${o.runId}_topology.offsets`);
    out.details.extraRecords = w.appends.length - (2 + o.backlog);
    out.completed = true;
    out.reason = 'all records appended';
  } catch (e) {
    out.reason = `error: ${(e as Error).message}`;
  } finally {
    await watcher?.close().catch(() => undefined);
    await client?.shutdown().catch(() => undefined);
    if (source) await source.stop();
    await emulator.stop();
    out.peakRssMb['emulator'] = emulator.memory().peakRssMb;
    out.details.logs = o.tmp;
  }
  return out;
}
