/**
 * Repeated faults under ONE SOURCE_NAME, as operators restart a source: each repetition uses a
 * new keyspace with the same table names (so SCYLLA_TABLES changes between repetitions and the
 * previous tables' checkpoints stay in the offsets topic), starts a source right after the previous
 * repetition SIGKILLed its last one, and while writes go on: kill -9 + restart of the source, a
 * restart of the Kafka broker, and another kill -9 + restart shortly after the broker is back.
 *
 * The broker is this file's own (test/helpers/own-kafka.ts): the shared one is never restarted.
 *
 * Checked independently of the source and of kafkajs: every write exactly once as a change event,
 * counted by Kafka's own Java consumer (read_committed, test/helpers/java-kafka.ts), and kafkajs
 * (which the sink uses) returning exactly the same records; no snapshot record (the tables are
 * empty when the source starts); the first change event after every start within a bound.
 * CDC_TEST_RESTART_REPEATS sets the number of repetitions (default 2, to keep CI short; the issue
 * asks for 10 in a row: CDC_TEST_RESTART_REPEATS=10 CDC_TEST_RESTART_STRICT=1).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { topicFor } from '../../../src/source/source-service.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { OwnKafka, freePort } from '../../helpers/own-kafka.js';
import { kill9, spawnSource, type SourceChild } from './child.js';
import { TopicTail, Writer, javaReadToEnd, ledgerProblems, readToHighWatermark, readerDifferences, seenKey, type Seen } from './change-ledger.js';
import { dumpLogSegments, transactionOf } from '../../helpers/java-kafka.js';
import { emulator, randomName, sourceConfig, uniqueKs, waitFor } from './harness.js';
import { streamingReport, type StreamingReport } from './source-status.js';

const REPEATS = Number(process.env.CDC_TEST_RESTART_REPEATS ?? 2);
/** Set to a directory to keep every source process's full log there (TEST_LOG_LEVEL=info for more). */
const LOG_DIR = process.env.CDC_TEST_RESTART_LOG_DIR;
// The defaults an operator runs with (session 10 s, transaction timeout 60 s, 16 slots,
// checkpoint every 5 s): the faults must be survived with them, not with test-only settings.
const SESSION_TIMEOUT_MS = 10_000;
const SLOTS = 16;
// The bound (session timeout + 5 s) with CDC_TEST_RESTART_STRICT=1; twice that by default,
// as CI's 2 cores are shared with the rest of the suite (the log prints each time).
const BOUND_MS = (process.env.CDC_TEST_RESTART_STRICT === '1' ? 1 : 2) * (SESSION_TIMEOUT_MS + 5_000);
const SOURCE_NAME = randomName('src_restart');
const TEMPLATE = `${randomName('t')}.{keyspace}.{table}`;

let emu: EmulatorHandle;
let cql: cassandra.Client;
let broker: OwnKafka;
let kafka: Kafka;
const children: SourceChild[] = [];
/** Keyspaces of the earlier repetitions (their checkpoints stay in the offsets topic). */
const previousKeyspaces: string[] = [];
/** Time from each start to its first change event (ms), for the report. */
const firstEvent: { repetition: number; start: string; ms: number }[] = [];

beforeAll(async () => {
  note('starting own broker and emulator');
  // one after the other: formatting the broker's storage blocks this process for a few seconds,
  // and the in-process emulator would miss its driver's connection timeout meanwhile
  broker = await OwnKafka.create();
  ({ emu, cql } = await emulator());
  kafka = new Kafka({ clientId: randomName('restart'), brokers: broker.brokers, logLevel: logLevel.NOTHING });
  note(`own broker on ${broker.brokers.join(',')}`);
});

afterAll(async () => {
  for (const c of children) await kill9(c);
  await cql?.shutdown();
  await emu?.close();
  await broker?.destroy();
  if (firstEvent.length > 0) process.stderr.write(`[restart-repeat] first change event after start (ms): ${JSON.stringify(firstEvent)}\n`);
});

async function start(ks: string): Promise<{ child: SourceChild; port: number; atMs: number }> {
  const port = await freePort();
  const cfg = sourceConfig(emu, [`${ks}.users`, `${ks}.orders`], {
    SOURCE_NAME,
    KAFKA_TOPIC_TEMPLATE: TEMPLATE,
    KAFKA_BROKERS: broker.brokers.join(','),
    SNAPSHOT_MODE: 'initial',
    SOURCE_SLOTS: String(SLOTS),
    SOURCE_MAX_BATCH_RECORDS: '40',
    SOURCE_GROUP_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    KAFKA_TRANSACTION_TIMEOUT_MS: '60000',
    SOURCE_CHECKPOINT_INTERVAL_MS: '5000',
  });
  const child = spawnSource(cfg, { METRICS_PORT: String(port) }, LOG_DIR ? join(LOG_DIR, `source-${ks}-${Date.now()}.log`) : undefined);
  note(`source pid ${child.proc.pid} started (${ks}, status on ${port})`);
  void child.exited.then((code) => {
    if (child.proc.signalCode !== 'SIGKILL') note(`source pid ${child.proc.pid} exited with ${code}:\n${child.output().slice(-3000)}`);
  });
  children.push(child);
  return { child, port, atMs: Date.now() };
}

/**
 * For a few records one reader returned and the other did not (or returned twice): the batch, its
 * producer id / epoch, and the marker (COMMIT / ABORT) that ended it. One dump per partition: each
 * is a JVM start, slow on a loaded box.
 */
async function transactionsOf(records: Seen[], topics: Map<string, string>): Promise<string> {
  const topicOf = new Map([...topics].map(([t, table]) => [table, t]));
  const dumps = new Map<string, Promise<string>>();
  const out: string[] = [];
  for (const r of records.slice(0, 4)) {
    const [partition, offset] = (r.at ?? '').split(' ')[0]!.split('@');
    const key = `${topicOf.get(r.table)}-${partition}`;
    if (!dumps.has(key)) dumps.set(key, dumpLogSegments(join(broker.dir, 'data'), topicOf.get(r.table)!, Number(partition)));
    out.push(`${r.table} ${r.tag} ${r.at}:\n${transactionOf(await dumps.get(key)!, BigInt(offset!))}`);
  }
  return out.join('\n');
}

const note = (line: string) => process.stderr.write(`[restart-repeat ${new Date().toISOString()}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`repeated faults under one SOURCE_NAME (${REPEATS} repetitions)`, () => {
  for (let rep = 1; rep <= REPEATS; rep++) {
    it(`repetition ${rep}: kill -9, broker restart, kill -9; exactly once, streaming within ${BOUND_MS / 1000} s`, async () => {
      const ks = uniqueKs();
      await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
      await cql.execute(`CREATE TABLE ${ks}.users (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
      await cql.execute(`CREATE TABLE ${ks}.orders (id int, line int, v text, PRIMARY KEY ((id), line)) WITH cdc = {'enabled': true}`);
      const topics = new Map([
        [topicFor(TEMPLATE, ks, 'users'), 'users'],
        [topicFor(TEMPLATE, ks, 'orders'), 'orders'],
      ]);
      const writer = new Writer(cql, ks, `r${rep}`, 60);
      const tail = new TopicTail(kafka, topics);
      let current: SourceChild | undefined;
      const measure = async (label: string, s: { child: SourceChild; atMs: number }, since: number) => {
        const arrived = await waitFor(() => tail.firstChangeArrival(writer.writes, since), 120_000, `first change event after ${label}`).catch((err: unknown) => {
          throw new Error(`${(err as Error).message}\n--- source output ---\n${s.child.output()}`);
        });
        firstEvent.push({ repetition: rep, start: label, ms: arrived - s.atMs });
        note(`repetition ${rep}: first change event ${arrived - s.atMs} ms after ${label}`);
        return arrived - s.atMs;
      };
      try {
        // 1. Start right after the previous repetition's SIGKILL; the tables are empty, so
        //    writing begins once every slot streams both tables (nothing for a snapshot).
        let s = await start(ks);
        current = s.child;
        const reports: StreamingReport[] = [];
        const streaming = await waitFor(
          async () => {
            const r = await streamingReport(s.port, SLOTS).catch(() => undefined);
            if (r) reports.push(r);
            return r?.streaming ? Date.now() : undefined;
          },
          180_000,
          'every slot streaming',
        ).catch(async (err: unknown) => {
          throw new Error(`${(err as Error).message}: ${JSON.stringify(await streamingReport(s.port, SLOTS).catch(() => null))}\n--- source output ---\n${s.child.output()}`);
        });
        const ready = streaming - s.atMs;
        // /readyz says "not ready, because ..." until then, and ready once every slot streams
        expect(reports[0]).toMatchObject({ streaming: false, ready: false, readyz: { ready: false, reasons: expect.arrayContaining([expect.any(String)]) as unknown } });
        const once = await waitFor(
          async () => {
            const r = await streamingReport(s.port, SLOTS);
            return r.ready ? r : undefined;
          },
          10_000,
          '/readyz 200 once streaming',
        );
        // the previous repetitions' tables are no longer configured: their checkpoints are ignored, and listed
        expect(once.ignored).toEqual(previousKeyspaces.flatMap((k) => [`${k}.orders`, `${k}.users`]).sort());
        previousKeyspaces.push(ks);
        note(
          `repetition ${rep}: every slot streaming ${ready} ms after start; /readyz said before: ${JSON.stringify(
            reports
              .map((r) => r.readyz)
              .filter((r) => (r as { reasons?: unknown }).reasons)
              .slice(-1),
          ).slice(0, 400)}`,
        );
        await tail.start();
        writer.start();
        const first = await measure('start', s, streaming);
        await sleep(4_000);
        /** kill -9 mid-stream, writes going on; restart 1.5 s later; the new process's first event. */
        const killAndRestart = async (label: string) => {
          await kill9(s.child);
          const killedAt = Date.now();
          await sleep(1_500);
          s = await start(ks);
          current = s.child;
          const ms = await measure(label, s, killedAt);
          await sleep(3_000);
          return ms;
        };

        // 2. kill -9 mid-stream; restart.
        const afterKill = await killAndRestart('restart after kill -9');

        // 3. Broker restart (controlled shutdown) while the source streams and writes go on.
        note('restarting the broker');
        await broker.restart();
        const brokerBack = Date.now();
        note('broker back');
        await tail.restart(); // the test's own consumer, not the source, may be stuck after the restart
        await waitFor(() => tail.firstChangeArrival(writer.writes, brokerBack), 120_000, 'change events after the broker restart').catch(async (err: unknown) => {
          throw new Error(`${(err as Error).message}; the source says: ${JSON.stringify(await streamingReport(s.port, SLOTS).catch((e: unknown) => String(e)))}`);
        });
        await sleep(1_000);

        // 4. kill -9 again, shortly after the broker is back.
        const afterKill2 = await killAndRestart('restart after broker restart + kill -9');

        // 5. Stop writing, wait until every write arrived, count exactly, then SIGKILL (as an
        //    operator's crash would leave it for the next repetition).
        await writer.stop();
        await waitFor(() => (tail.hasAll(writer.writes) ? true : undefined), 90_000, 'every write in Kafka');
        note(`repetition ${rep}: ${writer.writes.length} writes, all seen; counting up to the high watermark`);
        // The verdict comes from Kafka's own Java consumer; kafkajs (which the sink uses) must agree with it.
        const records = await javaReadToEnd(broker.brokers, topics);
        const viaKafkajs = await readToHighWatermark(kafka, topics);
        const problems = ledgerProblems(writer.writes, records);
        const readers = readerDifferences(viaKafkajs, records);
        if (problems.duplicated.length + readers.onlyFirst.length + readers.onlySecond.length > 0) {
          note(
            `repetition ${rep}: duplicated (Java) ${JSON.stringify(problems.duplicated)}; only kafkajs ${JSON.stringify(readers.onlyFirst)}; only Java ${JSON.stringify(readers.onlySecond)}`,
          );
          const onlyKafkajs = new Set(readers.onlyFirst);
          const duplicated = new Set(problems.duplicated.map((d) => d.split('×')[0]));
          note(await transactionsOf([...viaKafkajs.filter((r) => onlyKafkajs.has(seenKey(r))), ...records.filter((r) => duplicated.has(r.tag!))], topics));
        }
        expect({ missing: problems.missing.slice(0, 10), duplicated: problems.duplicated.slice(0, 10), unexpected: problems.unexpected.slice(0, 10) }).toEqual({
          missing: [],
          duplicated: [],
          unexpected: [],
        });
        expect(records.length).toBe(writer.writes.length);
        expect({ onlyKafkajs: readers.onlyFirst.slice(0, 10), onlyJava: readers.onlySecond.slice(0, 10) }).toEqual({ onlyKafkajs: [], onlyJava: [] });
        const slow = Object.entries({ ready, first, afterKill, afterKill2 }).filter(([, ms]) => ms > BOUND_MS);
        expect(slow, `first change event later than ${BOUND_MS} ms after a start`).toEqual([]);
      } finally {
        await writer.stop().catch(() => undefined);
        await tail.stop();
        if (current) await kill9(current);
      }
    }, 300_000);
  }
});
