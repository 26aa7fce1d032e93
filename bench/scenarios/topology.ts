/**
 * `topology`: what the number of CDC streams costs the source (issue 19). Starts its own Scylla
 * emulator process with a ring of N streams (`--streams 16|20000|200000`: 8 × 2, 2,500 × 8 or
 * 25,600 × 8 vnodes × shards), `--processes P` source processes of one deployment (the real CLI,
 * one SOURCE_NAME, so one slot group; default 1), and measures, in this order:
 *   1. spawn → first record in Kafka of one change written at spawn (start-up + cold start), and
 *      spawn → every slot held by one process and streaming, with the slots each process got;
 *   2. idle (no writes) for --idle-s: log queries per second (each process's cdc_source_queries_total)
 *      and CPU seconds per minute (/proc utime + stime of each process tree);
 *   3. one write while idle → its record in Kafka (LogAppendTime − write time);
 *   4. --load-s of writes at --load-rate per second: the checkpoints written under load;
 *   5. every process stopped (SIGTERM), a backlog of --backlog changes over --backlog-partitions
 *      partitions written, every process started again: catch-up rate, in total and per process;
 *   6. what the processes wrote to the offsets topic (records, bytes, per minute idle / under load,
 *      the latest value per key, its log segments on the broker's disk) and a day of it;
 *   7. exactly once: every change written, read back by Kafka's Java consumer (read_committed),
 *      once each; a run that is not exact is not completed, whatever its speed;
 *   8. peak RSS of each process and of the emulator.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { BenchChild } from '../lib/procs.js';
import { createTopic, KAFKA_BROKERS } from '../lib/kafka.js';
import { log, round, sleep } from '../lib/util.js';
import { freePort } from '../../test/helpers/free-port.js';
import { cpuSeconds, waitFor } from '../lib/topology-probes.js';
import { SourceFleet } from '../lib/source-fleet.js';
import { perMinute, readOffsetsTopic, topicLogBytes } from '../lib/offsets-topic.js';
import { dayOfCheckpoints } from '../lib/checkpoint-day.js';
import { committedChangeIds } from '../lib/committed-changes.js';
import { tallyChanges } from '../lib/change-tally.js';

export const TOPOLOGIES: Record<string, { vnodes: number; shards: number }> = {
  '16': { vnodes: 8, shards: 2 },
  '20000': { vnodes: 2_500, shards: 8 },
  '200000': { vnodes: 25_600, shards: 8 },
};

/** The source's default SOURCE_SLOTS; the scenario does not change it. */
const SLOTS = 16;
/** The source's default CDC_CONFIDENCE_WINDOW_MS: a write reaches Kafka no earlier than this. */
const CONFIDENCE_MS = 5_000;

export interface TopologyOptions {
  repo: string;
  runId: string;
  tmp: string;
  streams: string;
  processes: number;
  idleS: number;
  loadS: number;
  loadRate: number;
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

async function startEmulator(o: TopologyOptions, topo: { vnodes: number; shards: number }, out: TopologyOutcome): Promise<{ emulator: BenchChild; port: number }> {
  const port = await freePort();
  const emuLog = join(o.tmp, 'emulator.log');
  const t0 = performance.now();
  const emulator = new BenchChild(
    'emulator',
    process.execPath,
    ['--import', 'tsx', 'test/support/scylla-emulator/main.ts', '--port', String(port), '--vnodes', String(topo.vnodes), '--shards', String(topo.shards), '--seed', '1'],
    { cwd: o.repo, env: process.env, logFile: emuLog },
  );
  const logText = (): string => {
    try {
      return readFileSync(emuLog, 'utf8');
    } catch {
      return '';
    }
  };
  await waitFor('the emulator', 120_000, () => (logText().includes('ready') ? true : emulator.running ? null : Promise.reject(new Error(`emulator exited ${emulator.exitCode}`))));
  out.seconds.emulatorStart = round((performance.now() - t0) / 1000, 2);
  return { emulator, port };
}

export async function runTopology(o: TopologyOptions): Promise<TopologyOutcome> {
  const topo = TOPOLOGIES[o.streams];
  if (!topo) throw new Error(`--streams must be one of ${Object.keys(TOPOLOGIES).join(', ')}`);
  if (!Number.isInteger(o.processes) || o.processes < 1 || o.processes > SLOTS) throw new Error(`--processes must be 1..${SLOTS} (one slot each at most)`);
  const out: TopologyOutcome = {
    completed: false,
    reason: '',
    catchUpChangesPerSec: null,
    idleWriteLatencyMs: null,
    seconds: {},
    peakRssMb: {},
    details: { ...topo, streams: topo.vnodes * topo.shards, processes: o.processes },
  };
  let emulator: BenchChild | null = null;
  let client: cassandra.Client | null = null;
  let fleet: SourceFleet | null = null;
  let watcher: Awaited<ReturnType<typeof topicWatcher>> | null = null;
  try {
    const emu = await startEmulator(o, topo, out);
    emulator = emu.emulator;
    client = new cassandra.Client({ contactPoints: [`127.0.0.1:${emu.port}`], localDataCenter: 'datacenter1', protocolOptions: { port: emu.port } });
    await client.connect();
    const ks = o.runId;
    await client.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE ${ks}.t (pk int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
    const topic = `${o.runId}.topology.t`;
    const sourceName = `${o.runId}_topology`;
    const offsetsTopic = `_scylla-pg-cdc.${sourceName}.offsets`;
    await createTopic(topic, 6, { 'message.timestamp.type': 'LogAppendTime' });
    watcher = await topicWatcher(o.runId, topic);
    fleet = await SourceFleet.create(o.processes, o.source, {
      SCYLLA_CONTACT_POINTS: `127.0.0.1:${emu.port}`,
      SCYLLA_LOCAL_DC: 'datacenter1',
      SCYLLA_TABLES: `${ks}.t`,
      KAFKA_TOPIC_TEMPLATE: `${o.runId}.topology.{table}`,
      KAFKA_TOPIC_PARTITIONS: '6',
      SOURCE_NAME: sourceName,
      SNAPSHOT_MODE: 'never',
      CDC_START: 'earliest',
    });
    const f = fleet;
    const w = watcher;
    // Every change the run writes, by the id the exactly-once check looks for (`pk:v`, v unique).
    const written: string[] = [];
    let nextV = 1;
    const cql = client;
    const write = async (pk: number, v: number): Promise<void> => {
      await cql.execute(`INSERT INTO ${ks}.t (pk, v) VALUES (?, ?)`, [pk, v], { prepare: true });
      written.push(`${pk}:${v}`);
    };
    const recordsAtLeast = (n: number, what: string, timeoutMs = o.stallMs) =>
      waitFor(
        what,
        timeoutMs,
        () => {
          if (w.appends.length >= n) return w.appends[n - 1]!;
          f.checkAlive();
          return null;
        },
        50,
      );

    // 1. Start-up: spawn, one change written at once, its record in Kafka; every slot streaming.
    const spawnAt = performance.now();
    f.start('');
    await write(-1, 0);
    await recordsAtLeast(1, 'the first record');
    out.seconds.startToFirstRecord = round((performance.now() - spawnAt) / 1000, 2);
    const firstSpread = await f.allSlotsStreaming(SLOTS, spawnAt, o.stallMs);
    out.seconds.startToReady = firstSpread.secondsToAllStreaming;
    out.details.slots = { slots: SLOTS, firstStart: firstSpread };
    log(`topology ${o.streams} × ${o.processes}: all slots streaming after ${firstSpread.secondsToAllStreaming} s: ${JSON.stringify(firstSpread.slotsPerProcess)}`);

    // 2. Idle.
    await sleep(5_000);
    const idleEnd = await f.idleWindow();
    // The emulator answers every log query: when it is the one that saturates, its CPU says so.
    const emuCpu0 = cpuSeconds(emu.emulator.pid);
    const idleFrom = Date.now();
    const idleDisk0 = topicLogBytes(offsetsTopic, o.repo);
    await sleep(o.idleS * 1000);
    const idle = { ...(await idleEnd()), emulatorCpuSecondsPerMinute: round(((cpuSeconds(emu.emulator.pid) - emuCpu0) / ((Date.now() - idleFrom) / 1000)) * 60, 2) };
    const idleTo = Date.now();
    const idleDisk1 = topicLogBytes(offsetsTopic, o.repo);
    out.details.idle = idle;
    log(`topology ${o.streams} × ${o.processes}: idle ${JSON.stringify(idle)}`);

    // 3. One write while idle.
    const writeAt = Date.now();
    await write(-2, 0);
    out.idleWriteLatencyMs = (await recordsAtLeast(2, 'the idle write')) - writeAt;

    // 4. Steady writes: what the checkpoints cost while changes flow.
    let load: { from: number; to: number; disk0: number | null; disk1: number | null } | null = null;
    if (o.loadS > 0 && o.loadRate > 0) {
      const from = Date.now();
      const disk0 = topicLogBytes(offsetsTopic, o.repo);
      const n = Math.round(o.loadS * o.loadRate);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        const due = from + (i / o.loadRate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        pending.push(write(i % o.backlogPartitions, nextV++));
      }
      await Promise.all(pending);
      const to = Date.now();
      await recordsAtLeast(written.length, 'the load writes');
      await sleep(Math.max(0, to + CONFIDENCE_MS - Date.now()));
      load = { from, to, disk0, disk1: topicLogBytes(offsetsTopic, o.repo) };
      out.seconds.loadWrite = round((to - from) / 1000, 2);
    }

    // 5. Backlog while stopped, then catch-up.
    await f.stop();
    const bw0 = performance.now();
    const backlogVs = Array.from({ length: o.backlog }, () => nextV++);
    let next = 0;
    const writeSome = async (): Promise<void> => {
      while (next < o.backlog) {
        const i = next++;
        await write(i % o.backlogPartitions, backlogVs[i]!);
      }
    };
    await Promise.all(Array.from({ length: 32 }, writeSome));
    out.seconds.backlogWrite = round((performance.now() - bw0) / 1000, 2);
    const before = w.appends.length;
    const restartAt = performance.now();
    const restartMs = Date.now();
    f.start('restart');
    const sampler = f.recordSampler(restartAt);
    const secondSpread = f.allSlotsStreaming(SLOTS, restartAt, o.stallMs);
    secondSpread.catch(() => undefined); // awaited below
    await recordsAtLeast(before + 1, 'the first backlog record');
    out.seconds.restartToFirstRecord = round((performance.now() - restartAt) / 1000, 2);
    await recordsAtLeast(before + o.backlog, 'the whole backlog', Math.max(o.stallMs, 600_000));
    const doneAt = performance.now();
    const doneMs = Date.now();
    const spread = await secondSpread;
    (out.details.slots as Record<string, unknown>).restart = spread;
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
      restartToAllSlotsStreaming: spread.secondsToAllStreaming,
    };
    await sleep(6_000); // one more checkpoint interval, so the idle checkpoint after the backlog is written
    // Each process's own records (its cdc_records_replicated_total, sampled every 250 ms, the last
    // sample after the backlog is in Kafka and nothing more is written): when its first and last were
    // counted after the restart, and its rate between restart and its last. A process that emitted
    // records in a transaction that a newer owner of the slot then fenced counts them, so the sum
    // can exceed the backlog; the exactly-once count below is what says what Kafka holds.
    const perProcess = await sampler();
    (out.details.catchUp as Record<string, unknown>).perProcess = perProcess.map((p) => ({
      ...p,
      changesPerSecIncludingStart: p.lastS ? round(p.records / p.lastS) : null,
    }));
    await f.stop();

    // 6. Checkpoints.
    const cp = await readOffsetsTopic(o.runId, offsetsTopic);
    const { all, ...cpTotals } = cp;
    const idleRate = perMinute(all, idleFrom, idleTo);
    const idleDiskPerMin = idleDisk0 !== null && idleDisk1 !== null ? Math.round((idleDisk1 - idleDisk0) / ((idleTo - idleFrom) / 60_000)) : null;
    const loadRate = load ? perMinute(all, load.from + CONFIDENCE_MS, load.to + CONFIDENCE_MS) : null;
    const loadDiskPerMin = load && load.disk0 !== null && load.disk1 !== null ? Math.round((load.disk1 - load.disk0) / ((load.to + CONFIDENCE_MS - load.from) / 60_000)) : null;
    out.details.checkpoints = {
      ...cpTotals,
      logSegmentBytes: topicLogBytes(offsetsTopic, o.repo),
      idle: { ...idleRate, logSegmentBytesPerMin: idleDiskPerMin },
      underLoad: loadRate ? { writesPerSec: o.loadRate, ...loadRate, logSegmentBytesPerMin: loadDiskPerMin } : null,
      catchUp: perMinute(all, restartMs, doneMs),
      day: dayOfCheckpoints({ idle: idleRate, idleDiskPerMin, load: loadRate, loadDiskPerMin, keys: cp.keys, latestBytes: cp.latestBytes }),
    };

    // 7. Exactly once, by a reader that shares nothing with the source.
    const ids = await committedChangeIds(topic);
    const tally = tallyChanges(written, ids);
    out.details.exactlyOnce = { reader: 'kafka-clients KafkaConsumer, read_committed (test/helpers/java/CommittedRecords.java)', ...tally };
    out.details.extraRecords = w.appends.length - written.length;
    if (!tally.exact) {
      out.reason = `NOT EXACTLY ONCE: ${tally.missing} missing, ${tally.duplicates} duplicates, ${tally.unexpected} unexpected of ${tally.expected} changes`;
      log(`topology: ${out.reason} ${JSON.stringify(tally.examples)}`);
      return out;
    }
    out.completed = true;
    out.reason = `all ${tally.expected} changes in Kafka exactly once`;
  } catch (e) {
    out.reason = `error: ${(e as Error).message}`;
  } finally {
    await watcher?.close().catch(() => undefined);
    await client?.shutdown().catch(() => undefined);
    if (fleet) {
      await fleet.stop();
      Object.assign(out.peakRssMb, fleet.peakRss());
    }
    if (emulator) {
      await emulator.stop();
      out.peakRssMb['emulator'] = emulator.memory().peakRssMb;
    }
    out.details.logs = o.tmp;
  }
  return out;
}
