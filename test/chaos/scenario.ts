/**
 * One chaos run: emulator → source → Kafka → sink → PostgreSQL under a seeded workload while faults
 * are injected one after another and overlapping; then catch up and judge (verify.ts).
 *
 * Also bad input end to end: a poison record, a record whose schema is incompatible with the
 * table, and a value PostgreSQL rejects reach the DLQ while everything else keeps flowing.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { ENDPOINTS, ensureStack, portOpen } from '../../scripts/stack-control.js';
import { readTopicToEnd } from '../../src/clients/topic-reader.js';
import { startEmulator } from '../support/scylla-emulator/index.js';
import { ALL_FAULTS, inject, type FaultKind } from './faults.js';
import { Rng } from './prng.js';
import { Supervisor } from './supervisor.js';
import { oracle, type OracleVerdict } from './oracle.js';
import { exactlyOnce, reconcileAll, type ExactlyOnceVerdict, type ReconcileVerdict } from './verify.js';
import { schemaCql, TABLES, Workload, type TableName } from './workload.js';

export interface ChaosOptions {
  seed: number;
  durationS: number;
  /** Faults to inject; default: enough to cycle through every kind at least twice in a long run. */
  faults?: number;
  /** Fault kinds to draw from (default: all). */
  kinds?: FaultKind[];
  log?: (line: string) => void;
}

export interface FaultRecord {
  index: number;
  kind: FaultKind;
  startedAtS: number;
  healedAtS: number;
  catchUpS: number | null;
}

export interface ChaosSummary {
  seed: number;
  durationS: number;
  ok: boolean;
  changes: { writes: number; byKind: Record<string, number>; retried: number };
  faults: FaultRecord[];
  faultsByKind: Record<string, number>;
  badInput: { dlqRecords: number; expected: number };
  finalCatchUpS: number;
  reconcile: ReconcileVerdict[];
  oracle: { table: string; scyllaRows: number; pgRows: number; missing: number; extra: number; differing: number; model: number }[];
  exactlyOnce: ExactlyOnceVerdict[];
  crashed: string[];
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONFIDENCE_MS = 3000;

/**
 * A base port with `n` free ports above it (metrics endpoints of the processes this run starts),
 * below the kernel's ephemeral range: a port chosen inside it can be taken by any outgoing
 * connection before the process that needs it starts (a sink once exited on EADDRINUSE).
 */
async function freePortBlock(n: number): Promise<number> {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? 32768);
  const top = Math.max(12000, Math.min(ephemeralLow, 65535) - n);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10000 + Math.floor(Math.random() * (top - 10000));
    const taken = await Promise.all(Array.from({ length: n }, (_, i) => portOpen(base + i)));
    if (!taken.some(Boolean)) return base;
  }
  throw new Error('no block of free ports for the chaos processes');
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosSummary> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const rng = new Rng(opts.seed);
  const id = `c${opts.seed}_${Date.now().toString(36)}`;
  const ks = `chaos_${id}`;
  const pgSchema = `chaos_${id}`;
  const topicPrefix = `chaos.${id}`;
  const dir = join(tmpdir(), `chaos-${id}`);
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const at = () => Math.round((Date.now() - t0) / 100) / 10;
  const problems: string[] = [];

  await ensureStack({ only: ['postgres', 'kafka', 'registry'], log: (l) => log(`[stack] ${l}`) });
  const emu = await startEmulator({ port: 0, seed: opts.seed, vnodes: 8, shards: 2 });
  const scylla = new cassandra.Client({ contactPoints: [emu.contactPoint], localDataCenter: 'datacenter1', pooling: { heartBeatInterval: 0 } });
  await scylla.connect();
  for (const cql of schemaCql(ks)) await scylla.execute(cql);

  const env: Record<string, string> = {
    SCYLLA_CONTACT_POINTS: emu.contactPoint,
    SCYLLA_CONSISTENCY: 'ONE',
    SCYLLA_TABLES: [...TABLES, 'markers'].map((t) => `${ks}.${t}`).join(','),
    KAFKA_BROKERS: ENDPOINTS.kafka,
    KAFKA_TOPIC_TEMPLATE: `${topicPrefix}.{table}`,
    SCHEMA_REGISTRY_URL: ENDPOINTS.registry,
    PG_URL: ENDPOINTS.postgres,
    PG_SCHEMA: pgSchema,
    SOURCE_NAME: `chaos-${id}`,
    SINK_GROUP_ID: `chaos-${id}-sink`,
    SINK_TOPICS: `^${topicPrefix.replace(/\./g, '\\.')}\\..+`,
    DLQ_TOPIC: `dlq-chaos-${id}`,
    CDC_CONFIDENCE_WINDOW_MS: String(CONFIDENCE_MS),
    SNAPSHOT_MODE: 'never',
    CDC_START: 'earliest',
    KAFKA_TRANSACTION_TIMEOUT_MS: '15000',
    SINK_BATCH_MAX_WAIT_MS: '100',
    SINK_TOPIC_REFRESH_MS: '2000',
    LOG_LEVEL: 'info',
  };
  const sup = new Supervisor(env, join(dir, 'logs'), await freePortBlock(40));
  let serial = 0;
  const nextName = (role: 'source' | 'sink') => `${role}-${++serial}`;
  sup.start('source', nextName('source'));
  sup.start('sink', nextName('sink'));
  log(`chaos ${id}: seed ${opts.seed}, ${opts.durationS} s, logs in ${dir}`);
  let warehouse: pg.Pool | undefined;
  let writing = true;
  try {
    const pool = new pg.Pool({ connectionString: ENDPOINTS.postgres, max: 2 });
    warehouse = pool;
    pool.on('error', () => undefined); // a PostgreSQL restart is one of the faults
    const markerSeen = async (mid: number) => {
      try {
        const r = await pool.query(`SELECT 1 FROM "${pgSchema}".markers WHERE id = $1`, [mid]);
        return r.rowCount === 1;
      } catch {
        return false; // table not created yet, or PostgreSQL restarting
      }
    };

    const workload = new Workload(scylla, ks, rng);
    const writer = (async () => {
      while (writing) {
        await workload.step().catch((err: unknown) => problems.push(`workload write failed: ${(err as Error).message}`));
        if (at() > opts.durationS / 2) await workload.alterAddColumn().catch((err: unknown) => problems.push(`ALTER failed: ${(err as Error).message}`));
        await sleep(rng.int(2, 12));
      }
    })();

    // Faults: spread over the run, each starting at a random moment in its slot, so some overlap.
    const kinds = opts.kinds ?? ALL_FAULTS;
    const count = opts.faults ?? Math.max(kinds.length, Math.floor(opts.durationS / 25));
    const order: FaultKind[] = [];
    while (order.length < count) {
      const round = [...kinds];
      while (round.length && order.length < count) order.push(round.splice(rng.int(0, round.length), 1)[0]!);
    }
    const slot = (opts.durationS * 1000 * 0.85) / count;
    const records: FaultRecord[] = [];
    const locks = new Map<string, Promise<void>>();
    const category = (k: FaultKind) => (k === 'scylla-timeouts' || k === 'late-visibility' ? 'emulator-config' : k === 'kafka-restart' || k === 'postgres-restart' ? 'infra' : k);
    const faultRuns: Promise<void>[] = [];
    const catchUps: Promise<void>[] = [];
    for (let i = 0; i < order.length; i++) {
      const kind = order[i]!;
      const delay = i * slot + rng.int(0, Math.floor(slot * 0.7));
      faultRuns.push(
        (async () => {
          await sleep(delay);
          const cat = category(kind);
          const prev = locks.get(cat) ?? Promise.resolve();
          let release!: () => void;
          const mine = new Promise<void>((r) => (release = r));
          locks.set(
            cat,
            prev.then(() => mine),
          );
          await prev;
          const rec: FaultRecord = { index: i, kind, startedAtS: at(), healedAtS: 0, catchUpS: null };
          records.push(rec);
          log(`[${rec.startedAtS}s] fault #${i} ${kind}`);
          try {
            const hit = await inject(kind, {
              rng,
              emu,
              sup,
              confidenceWindowMs: CONFIDENCE_MS,
              log: (l) => log(`  ${l}`),
              nextName,
              problem: (p) => problems.push(`fault #${i} ${kind}: ${p}`),
            });
            if (!hit) problems.push(`fault #${i} ${kind} had no victim: not injected`);
          } catch (err) {
            problems.push(`fault ${kind} could not be injected: ${(err as Error).message}`);
          } finally {
            release();
          }
          rec.healedAtS = at();
          // Catch-up: a marker written once the fault healed; the time until PostgreSQL has it.
          const mid = 1000 + i;
          catchUps.push(
            (async () => {
              await workload.marker(mid).catch((err: unknown) => problems.push(`marker ${mid}: ${(err as Error).message}`));
              const healed = Date.now();
              for (let w = 0; w < 1200 && !(await markerSeen(mid)); w++) await sleep(250);
              rec.catchUpS = (await markerSeen(mid)) ? Math.round((Date.now() - healed) / 100) / 10 : null;
            })(),
          );
        })(),
      );
    }

    // Bad input, half-way: poison bytes, an incompatible schema, a value PostgreSQL rejects.
    const kafka = new Kafka({ clientId: `chaos-${id}`, brokers: [ENDPOINTS.kafka], logLevel: logLevel.NOTHING, retry: { retries: 20 } });
    const registry = new SchemaRegistry({ host: ENDPOINTS.registry });
    const badInput = (async () => {
      await sleep((opts.durationS * 1000) / 2);
      const topic = `${topicPrefix}.users`;
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
        // A record whose `n` is a string where the table has an int: another producer's mistake.
        const bad = {
          type: 'record',
          name: 'Envelope',
          namespace: 'chaos.incompatible',
          fields: [
            { name: 'before', type: 'null', default: null },
            {
              name: 'after',
              type: [
                'null',
                {
                  type: 'record',
                  name: 'Value',
                  fields: [
                    { name: 'id', type: 'int' },
                    { name: 'n', type: ['null', { type: 'record', name: 'n_Cell', fields: [{ name: 'value', type: ['null', 'string'], default: null }] }], default: null },
                  ],
                },
              ],
            },
            { name: 'op', type: 'string' },
            {
              name: 'source',
              type: {
                type: 'record',
                name: 'Source',
                fields: [
                  { name: 'table_name', type: 'string' },
                  { name: 'ts_us', type: 'long' },
                ],
              },
            },
          ],
        };
        const { id: badId } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(bad) }, { subject: `chaos-${id}-incompatible-value` });
        const keySchema = { type: 'record', name: 'Key', namespace: 'chaos.incompatible', fields: [{ name: 'id', type: 'int' }] };
        const { id: keyId } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(keySchema) }, { subject: `chaos-${id}-incompatible-key` });
        const key = await registry.encode(keyId, { id: 100_000 });
        const value = await registry.encode(badId, {
          before: null,
          after: { id: 100_000, n: { value: 'not a number' } },
          op: 'c',
          source: { table_name: 'users', ts_us: Date.now() * 1000 },
        });
        await producer.send({
          topic,
          messages: [
            { key, value },
            { key, value: Buffer.from([7, 7, 7, 7, 7, 7]) },
          ],
        });
      } catch (err) {
        problems.push(`bad input could not be produced: ${(err as Error).message}`);
      } finally {
        await producer.disconnect().catch(() => undefined); // best effort
      }
      // A value PostgreSQL rejects (NUL in text): dead-lettered; a later change to the row heals it.
      await scylla
        .execute(`INSERT INTO ${ks}.users (id, name, n) VALUES (?, ?, ?)`, [100_001, 'bad\u0000name', 1], { prepare: true })
        .catch((err: unknown) => problems.push(`NUL write: ${(err as Error).message}`));
      await sleep(5000);
      await scylla
        .execute(`INSERT INTO ${ks}.users (id, name, n) VALUES (?, ?, ?)`, [100_001, 'fixed name', 2], { prepare: true })
        .catch((err: unknown) => problems.push(`fix write: ${(err as Error).message}`));
    })();

    await sleep(opts.durationS * 1000);
    writing = false;
    await writer;
    await Promise.all(faultRuns);
    await badInput;
    emu.faults.reset();
    // Everything running again: one source and one sink at least.
    if (sup.running('source').length === 0) sup.start('source', nextName('source'));
    if (sup.running('sink').length === 0) sup.start('sink', nextName('sink'));
    await Promise.all(catchUps);

    // Final catch-up: a last marker, then reconcile until equal (or a deadline).
    const finalStart = Date.now();
    await workload.marker(999_999);
    for (let w = 0; w < 2400 && !(await markerSeen(999_999)); w++) await sleep(250);
    const finalCatchUpS = Math.round((Date.now() - finalStart) / 100) / 10;
    if (!(await markerSeen(999_999))) problems.push(`the final marker did not reach PostgreSQL within ${finalCatchUpS} s of the last write`);
    log(`[${at()}s] caught up in ${finalCatchUpS} s; verifying`);

    const reconcileEnv = { ...env, LOG_LEVEL: 'warn' };
    let verdicts: ReconcileVerdict[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        verdicts = await reconcileAll(
          reconcileEnv,
          TABLES.map((t) => `${ks}.${t}`),
          dir,
        );
        if (verdicts.every((v) => v.accuracy === 100)) break;
      } catch (err) {
        if (attempt === 5) problems.push(`reconcile could not run: ${(err as Error).message.slice(0, 300)}`);
      }
      await sleep(5000); // a change may still be in flight: equality must hold once caught up
    }

    const written = workload.changesWritten();
    // NUL row: (100001, n=1) and (100001, n=2) were written outside the workload's counters.
    written.get('users')!.set('100001', 2);
    const live = workload.liveKeys();
    live.get('users')!.set('100001', 2);

    // The independent verdict (oracle.ts): retried like reconcile, a change may still be in flight.
    let oracles: OracleVerdict[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        oracles = await Promise.all(TABLES.map((t) => oracle(scylla, pool, ks, pgSchema, t, live.get(t)!)));
        if (oracles.every((o) => o.missing.length + o.extra.length + o.differing.length + o.model.length === 0)) break;
      } catch (err) {
        if (attempt === 5) problems.push(`oracle could not run: ${(err as Error).message.slice(0, 300)}`);
      }
      await sleep(5000);
    }

    const eo = await exactlyOnce(
      kafka,
      registry,
      (t: TableName) => `${topicPrefix}.${t}`,
      written,
      workload.deletesIssued(),
      workload.changesRewritten(),
      (t, k) => (t === 'events' ? `${String(k.pk)}:${String(k.ck)}` : String(k.id)),
    );
    // Dead letters by origin (Kafka Connect's __connect.errors.* headers): a record can legitimately be
    // dead-lettered twice across a crash between the DLQ ack and the offsets commit (docs/sink.md).
    const letters = await readTopicToEnd(kafka, env.DLQ_TOPIC!, Number.POSITIVE_INFINITY, 300_000);
    const origin = (h: Record<string, unknown> | undefined, k: string) => String(h?.[`__connect.errors.${k}`] ?? '?');
    const dlq = new Set(letters.map((m) => `${origin(m.headers, 'topic')}/${origin(m.headers, 'partition')}@${origin(m.headers, 'offset')}`)).size;
    if (letters.length !== dlq) log(`dead letters: ${letters.length} records for ${dlq} origins (re-sent across a crash)`);

    const crashed = sup.crashed().map((i) => `${i.name} ${i.child.signalCode ? `died of ${i.child.signalCode}` : `exited ${i.child.exitCode}`}`);

    for (const v of verdicts)
      if (v.accuracy !== 100)
        problems.push(
          `${v.table}: accuracy ${v.accuracy.toFixed(3)}% (missing ${v.missing}, extra ${v.extra}, mismatched ${v.mismatches}): ${JSON.stringify(v.sample).slice(0, 400)}`,
        );
    for (const o of oracles) {
      if (o.missing.length) problems.push(`oracle ${o.table}: ${o.missing.length} row(s) in ScyllaDB missing in PostgreSQL, e.g. ${o.missing.slice(0, 5).join(', ')}`);
      if (o.extra.length) problems.push(`oracle ${o.table}: ${o.extra.length} row(s) in PostgreSQL not in ScyllaDB, e.g. ${o.extra.slice(0, 5).join(', ')}`);
      if (o.differing.length) problems.push(`oracle ${o.table}: ${o.differing.length} value(s) differ, e.g. ${o.differing.slice(0, 5).join('; ')}`);
      if (o.model.length) problems.push(`oracle ${o.table}: the workload's model and ScyllaDB disagree on ${o.model.length} key(s), e.g. ${o.model.slice(0, 5).join('; ')}`);
    }
    for (const e of eo) {
      if (e.missing.length) problems.push(`${e.table}: ${e.missing.length} change(s) never reached Kafka, e.g. ${e.missing.slice(0, 5).join(', ')}`);
      if (e.duplicated.length) problems.push(`${e.table}: ${e.duplicated.length} change(s) reached Kafka more than once, e.g. ${e.duplicated.slice(0, 5).join(', ')}`);
      if (e.unknown.length) problems.push(`${e.table}: ${e.unknown.length} change(s) in Kafka the workload never wrote, e.g. ${e.unknown.slice(0, 5).join(', ')}`);
      if (e.deletes.length) problems.push(`${e.table}: ${e.deletes.length} delete(s) in Kafka not as issued, e.g. ${e.deletes.slice(0, 5).join('; ')}`);
      // Injected into users only: one record that is not Confluent-framed, one of a foreign schema.
      const want = e.table === 'users' ? { notConfluent: 1, undecodable: 0, foreign: 1 } : { notConfluent: 0, undecodable: 0, foreign: 0 };
      if (JSON.stringify(e.skipped) !== JSON.stringify(want))
        problems.push(`${e.table}: records that are not workload changes ${JSON.stringify(e.skipped)}, injected ${JSON.stringify(want)}`);
    }
    // Poison bytes, the incompatible record, and the NUL value: exactly three records dead-lettered.
    if (dlq !== 3)
      problems.push(
        `expected exactly 3 dead-lettered records, found ${dlq}: ${[...new Set(letters.map((m) => `${origin(m.headers, 'topic')}/${origin(m.headers, 'partition')}@${origin(m.headers, 'offset')} ${origin(m.headers, 'exception.message').slice(0, 80)}`))].join('; ')}`,
      );
    if (records.some((r) => r.catchUpS === null))
      problems.push(
        `no catch-up after fault(s) ${records
          .filter((r) => r.catchUpS === null)
          .map((r) => `#${r.index} ${r.kind}`)
          .join(', ')}`,
      );
    problems.push(...crashed.map((c) => `process crashed: ${c}`));
    problems.push(...(await sup.stopAll()));

    const faultsByKind: Record<string, number> = {};
    for (const r of records) faultsByKind[r.kind] = (faultsByKind[r.kind] ?? 0) + 1;
    return {
      seed: opts.seed,
      durationS: opts.durationS,
      ok: problems.length === 0,
      changes: { writes: workload.stats.writes, byKind: workload.stats.byKind, retried: workload.stats.retried },
      faults: records.sort((a, b) => a.index - b.index),
      faultsByKind,
      badInput: { dlqRecords: dlq, expected: 3 },
      finalCatchUpS,
      reconcile: verdicts,
      oracle: oracles.map((o) => ({
        table: o.table,
        scyllaRows: o.scyllaRows,
        pgRows: o.pgRows,
        missing: o.missing.length,
        extra: o.extra.length,
        differing: o.differing.length,
        model: o.model.length,
      })),
      exactlyOnce: eo,
      crashed,
      problems,
    };
  } finally {
    writing = false;
    emu.faults.reset();
    await sup.stopAll();
    await scylla.shutdown().catch(() => undefined); // best effort: the verdict is already made
    await emu.close();
    await warehouse?.end().catch(() => undefined);
  }
}

export function formatSummary(s: ChaosSummary): string {
  const lines = [
    `chaos summary — seed ${s.seed}, ${s.durationS} s: ${s.ok ? 'PASS' : 'FAIL'}`,
    `changes written: ${s.changes.writes} (${Object.entries(s.changes.byKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); writes retried after injected errors: ${s.changes.retried}`,
    `faults injected: ${s.faults.length} (${Object.entries(s.faultsByKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    ...s.faults.map(
      (f) =>
        `  #${String(f.index).padStart(2)} ${f.kind.padEnd(24)} at ${String(f.startedAtS).padStart(6)} s, healed ${String(f.healedAtS).padStart(6)} s, caught up ${f.catchUpS === null ? 'NEVER' : `${f.catchUpS} s`} later`,
    ),
    `catch-up after the last write: ${s.finalCatchUpS} s`,
    `oracle (ScyllaDB vs PostgreSQL, test-only code): ${s.oracle.map((o) => `${o.table} ${o.scyllaRows}/${o.pgRows} rows, ${o.missing} missing, ${o.extra} extra, ${o.differing} differing, ${o.model} off-model`).join('; ')}`,
    `reconcile: ${s.reconcile.map((r) => `${r.table.split('.')[1]} ${r.accuracy.toFixed(2)}%`).join(', ')}`,
    `exactly once into Kafka: ${s.exactlyOnce.map((e) => `${e.table} ${e.seen}/${e.expected} changes, ${e.missing.length} missing, ${e.duplicated.length} duplicated, ${e.unknown.length} unknown, ${e.deleteEvents} deletes (${e.deletes.length} off)`).join('; ')}`,
    `bad input: ${s.badInput.dlqRecords} dead-lettered (expected ${s.badInput.expected})`,
    ...(s.problems.length ? ['problems:', ...s.problems.map((p) => `  - ${p}`)] : []),
  ];
  return lines.join('\n');
}
