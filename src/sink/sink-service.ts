/**
 * The sink pipeline: consume → decode (workers) → route to table batches → write (one PG transaction
 * per batch, offsets inside) → advisory group commit.
 *
 * Invariants:
 * - Records of a partition are routed in offset order (decode jobs are awaited in submission order).
 * - An offset is committed only past records that are applied, dead-lettered (acked) or skipped
 *   (OffsetTracker).
 * - A rebalance or a fence drops every uncommitted thing (epoch++): it is re-read from the offsets
 *   stored in PostgreSQL, so nothing is lost and nothing applied twice.
 * - Memory: bytes fetched but not committed are bounded by SINK_MAX_INFLIGHT_BYTES (+ one fetch);
 *   above it the partition is paused until commits bring it down.
 */
import type { Batch, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { SinkConfig } from '../config/sink-config.js';
import { ReplicatorError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { StatusProvider } from '../metrics/http-server.js';
import { connectorHealthy, recordsReplicated } from '../metrics/registry.js';
import { batchPhaseSeconds, batchRows, consumerLag, dlqRecords, fencedTotal, inflightBytes, keyOnlyRecords, replicationLag, retries, sinkStalled } from '../metrics/sink-metrics.js';
import { backoffMs } from '../core/backoff.js';
import { Batcher, type TableBatch } from './core/batcher.js';
import { SchemaCache, type DecodeOutput, type RawRecord } from './core/decode-record.js';
import { foldChanges } from './core/fold.js';
import { OffsetTracker, tpKey, tpOf, type TopicPartitionKey } from './core/offset-tracker.js';
import { parseTopicSelector } from './core/topic-match.js';
import type { RecordFailure, RecordRef } from './core/types.js';
import { readWireHeader } from './core/wire-format.js';
import { DecodePool } from './decode-pool.js';
import { BoundedDecoder } from './bounded-decode.js';
import { routeByTopic } from './core/topic-target.js';
import { batchFailureAction, classifyError, fatalError, sqlState } from './core/classify-error.js';
import { batchFailures } from './core/batch-failures.js';
import { DlqProducer, type DeadLetter } from './dlq-producer.js';
import { KafkaConsumer, type Assignment } from './kafka-consumer.js';
import { OffsetGuard } from './offset-guard.js';
import { OffsetStore, type OffsetWrite } from './offset-store.js';
import { FencedError, PgWriter } from './pg-writer.js';
import { SchemaFetcher } from './schema-fetcher.js';
import { RegistryHttp } from '../clients/registry.js';
import { StallDetector, type PartitionSample } from './core/stall-detector.js';
import { TableManager } from './table-manager.js';
import { refreshAccuracy } from './accuracy-gauge.js';
import { InflightRecords } from './inflight-records.js';

interface DecodeEntry {
  epoch: number;
  tp: TopicPartitionKey;
  next: bigint;
  result: Promise<DecodeOutput>;
}

interface PendingBatch extends TableBatch {
  epoch: number;
}

const refKey = (r: RecordRef) => `${r.topic}\u0000${r.partition}@${r.offset}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface SinkServiceDeps {
  config: SinkConfig;
  log: Logger;
  kafka: Kafka;
  pool: Pool;
}

export class SinkService implements StatusProvider {
  private readonly cfg: SinkConfig;
  private readonly log: Logger;
  private readonly pool: Pool;
  private readonly decode: DecodePool;
  private readonly bounded: BoundedDecoder;
  private readonly fetcher: SchemaFetcher;
  private readonly shapes: SchemaCache;
  private readonly tables: TableManager;
  private readonly stall: StallDetector;
  private readonly offsets: OffsetStore;
  private readonly writer: PgWriter;
  private readonly dlq: DlqProducer;
  private readonly consumer: KafkaConsumer;
  private readonly batcher: Batcher;
  private readonly guard: OffsetGuard;
  private readonly tracker = new OffsetTracker();

  private epoch = 0;
  private readonly fetched = new Map<TopicPartitionKey, bigint>();
  private readonly generation = new Map<TopicPartitionKey, bigint>();
  private readonly records = new InflightRecords();
  private readonly dlqSent = new Set<string>();
  private decodeQueue: DecodeEntry[] = [];
  private readyQueue: PendingBatch[] = [];
  private readonly batchEpoch = new Map<number, number>();
  private readonly paused = new Set<TopicPartitionKey>();
  private lock: Promise<void> = Promise.resolve();
  private wakeRouter: (() => void) | undefined;
  private wakeFlusher: (() => void) | undefined;
  private running = false;
  private draining = false;
  private started = false;
  private loops: Promise<void>[] = [];
  private lagTimer: NodeJS.Timeout | undefined;
  private lastOffsetCommit = 0;
  private activeIntake = 0;
  private readonly health = { kafka: false, pg: true, registry: true };
  private readonly stats = { batches: 0, changes: 0, dlq: {} as Record<string, number>, tables: {} as Record<string, { lastAppliedTsUs: string; batches: number; changes: number }> };

  constructor(deps: SinkServiceDeps) {
    const cfg = (this.cfg = deps.config);
    this.log = deps.log;
    this.pool = deps.pool;
    this.decode = new DecodePool(cfg.sinkWorkers, cfg.sinkWorkerHeapMb, (err) => deps.log.warn({ err }, 'a decode worker died outside a task (e.g. past SINK_WORKER_HEAP_MB); piscina replaces it'));
    this.bounded = new BoundedDecoder(this.decode, { maxRecordBytes: cfg.sinkMaxRecordBytes, timeoutMs: cfg.sinkDecodeTimeoutMs }, deps.log);
    this.fetcher = new SchemaFetcher(new RegistryHttp(cfg));
    this.shapes = new SchemaCache((id) => this.fetcher.known(id) ?? undefined);
    this.stall = new StallDetector({ timeoutMs: cfg.sinkStallTimeoutMs, maxLag: cfg.sinkStallMaxLag });
    this.tables = new TableManager(deps.pool, cfg.pgSchema, { autoCreate: cfg.sinkAutoCreate, autoEvolve: cfg.sinkAutoEvolve, deleteMode: cfg.sinkDeleteMode }, deps.log);
    this.offsets = new OffsetStore(cfg.pgSchema, cfg.sinkGroupId);
    this.writer = new PgWriter(deps.pool, this.offsets);
    this.dlq = new DlqProducer(deps.kafka, cfg.dlqTopic, cfg.sinkGroupId);
    this.batcher = new Batcher({ maxSize: cfg.sinkBatchSize, maxWaitMs: cfg.sinkBatchMaxWaitMs });
    this.guard = new OffsetGuard(deps.pool, deps.kafka, this.offsets, cfg.pgSchema, cfg.sinkGroupId, cfg.sinkOffsetReset, {
      watermarks: (topic) => this.consumer.watermarks(topic),
      retrying: (stage, fn) => this.retrying(stage, fn),
    }, deps.log);
    this.consumer = new KafkaConsumer(
      deps.kafka,
      cfg.sinkGroupId,
      parseTopicSelector(cfg.sinkTopics),
      cfg.dlqTopic,
      cfg.sinkTopicRefreshMs,
      cfg.sinkSessionTimeoutMs,
      {
        onAssign: (a) => this.onAssign(a),
        onBatch: (b, hb) => this.onBatch(b, hb),
        onHealth: (ok) => this.setHealth('kafka', ok),
      },
      deps.log,
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.running = true;
    await this.retrying('init', async () => {
      await this.tables.init();
      this.setHealth('pg', true);
    });
    await this.retrying('registry', () => this.fetcher.probe());
    await this.retrying('dlq', () => this.dlq.start());
    this.loops = [this.routeLoop(), this.flushLoop()];
    await this.consumer.start();
    this.lagTimer = setInterval(() => void this.updateLag(), Math.min(this.cfg.sinkTopicRefreshMs, 5000));
    this.lagTimer.unref();
  }

  /** Drain: stop intake, finish decode, flush every batch, commit, close. */
  async stop(): Promise<void> {
    if (!this.started || this.draining) return;
    this.draining = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    for (const tp of this.tracker.committedOffsets().keys()) {
      const { topic, partition } = tpOf(tp);
      this.consumer.pause(topic, [partition]);
    }
    // After a fatal error the loops are gone and nothing can drain: uncommitted work is re-read later.
    if (this.running) {
      while (this.activeIntake > 0) await sleep(20);
      while (this.decodeQueue.length > 0) await sleep(20);
      for (const b of this.batcher.drain()) this.enqueueReady(b);
      this.wakeFlusher?.();
      while (this.readyQueue.length > 0 || this.flushing) await sleep(20);
      await this.commitOffsetsOnly(true);
    }
    this.running = false;
    this.wakeRouter?.();
    this.wakeFlusher?.();
    await Promise.all(this.loops);
    await this.consumer.stop();
    await this.decode.close();
    await this.dlq.stop().catch((err: unknown) => this.log.warn({ err }, 'dlq producer stop failed'));
  }

  private resolveFailed: ((err: Error) => void) | undefined;
  /** Resolves (never rejects) when the sink hit a fatal error: the process must exit non-zero. */
  readonly failed = new Promise<Error>((resolve) => (this.resolveFailed = resolve));

  /** A configuration problem no retry can fix: stop the loops, report unhealthy, let the process exit. */
  private fatal(message: string, cause: unknown): void {
    const err = Object.assign(new ReplicatorError('CDC_CONFIG', message, false, { cause }), { exitCode: 2 });
    this.log.fatal({ err: cause }, message);
    this.setHealth('pg', false);
    this.running = false;
    this.wakeRouter?.();
    this.resolveFailed?.(err);
  }

  // ---- status ----

  healthy(): boolean {
    return this.health.kafka && this.health.pg && this.health.registry;
  }

  ready(): boolean {
    return this.running && !this.draining && this.guard.openProblems().length === 0 && this.stall.reasons().length === 0;
  }

  notReadyReasons(): string[] {
    const offsets = this.guard.openProblems().map((p) => `${p.topic}/${p.partition}: ${p.reason}${p.action === 'held' ? ' (partition held)' : ''}: ${p.detail} (acknowledge with \`scylla-pg-cdc offsets ack\`)`);
    return [...offsets, ...this.stall.reasons()];
  }

  status(): unknown {
    return {
      component: 'sink',
      healthy: this.healthy(),
      health: this.health,
      topics: this.consumer.subscribed(),
      assigned: [...this.tracker.committedOffsets()].map(([tp, next]) => ({ ...tpOf(tp), nextOffset: next.toString(), generation: this.generation.get(tp)?.toString() })),
      inflightBytes: this.records.bytes,
      pausedPartitions: this.paused.size,
      batches: this.stats.batches,
      changes: this.stats.changes,
      dlq: this.stats.dlq,
      tables: this.stats.tables,
      offsetProblems: this.guard.openProblems(),
      stalled: this.stall.reasons(),
    };
  }

  private setHealth(part: keyof SinkService['health'], ok: boolean): void {
    this.health[part] = ok;
    connectorHealthy.set({ component: 'sink' }, this.healthy() ? 1 : 0);
  }

  // ---- assignment ----

  private async onAssign(assignment: Assignment[]): Promise<void> {
    await this.exclusive(async () => {
      this.resetPipeline();
      if (this.draining || !this.running) return; // a rebalance during the drain: nothing to place
      for (const p of await this.guard.place(assignment)) {
        if (p.from === null) {
          this.consumer.pause(p.topic, [p.partition]); // held (SINK_OFFSET_RESET=fail): not read
          continue;
        }
        const tp = tpKey(p.topic, p.partition);
        this.tracker.assign(tp, p.from);
        this.fetched.set(tp, p.from);
        this.generation.set(tp, p.generation);
        this.consumer.seek(p.topic, p.partition, p.from);
      }
      this.log.info({ assignment }, 'partitions assigned; resuming from offsets stored in PostgreSQL');
    });
  }

  /** Forget all uncommitted work; it is re-read from the stored offsets. */
  private resetPipeline(): void {
    this.epoch++;
    for (const tp of this.paused) {
      const { topic, partition } = tpOf(tp);
      this.consumer.resume(topic, [partition]);
    }
    this.paused.clear();
    this.batcher.clear();
    this.tracker.clear();
    this.fetched.clear();
    this.generation.clear();
    this.records.clear();
    this.decodeQueue = [];
    this.readyQueue = [];
    this.batchEpoch.clear();
    inflightBytes.set(0);
  }

  // ---- intake ----

  private async onBatch(batch: Batch, heartbeat: () => Promise<void>): Promise<void> {
    this.activeIntake++;
    try {
      await this.intake(batch, heartbeat);
    } finally {
      this.activeIntake--;
    }
  }

  private async intake(batch: Batch, heartbeat: () => Promise<void>): Promise<void> {
    if (this.draining) return;
    const epoch = this.epoch;
    const tp = tpKey(batch.topic, batch.partition);
    const next = this.fetched.get(tp);
    if (next === undefined) return; // not (or no longer) ours: re-fetched after the next assignment
    // kafkajs moved its fetch position past ours by itself (OFFSET_OUT_OF_RANGE: records removed
    // before we read them): report the gap, or hold the partition under SINK_OFFSET_RESET=fail.
    const fetchedAt = BigInt((batch as Batch & { fetchedOffset?: string }).fetchedOffset ?? next);
    if (fetchedAt > next && (await this.guard.onJump(batch.topic, batch.partition, next, fetchedAt)) === 'hold') {
      if (epoch !== this.epoch) return;
      this.fetched.delete(tp);
      this.consumer.pause(batch.topic, [batch.partition]);
      return;
    }
    if (epoch !== this.epoch) return;
    const records: RawRecord[] = [];
    for (const m of batch.messages) {
      if (BigInt(m.offset) < next) continue; // already applied, or fetched before our seek landed
      const ref = { topic: batch.topic, partition: batch.partition, offset: m.offset };
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
      records.push({ ref, key: m.key, value: m.value });
      this.records.add(ref, { key: m.key, value: m.value, headers: m.headers ?? {}, timestamp: m.timestamp, bytes: size });
    }
    const last = BigInt(batch.lastOffset()) + 1n;
    if (last <= next) return;
    this.fetched.set(tp, last);
    const t0 = performance.now();
    const schemas = await this.schemasFor(records, heartbeat);
    if (epoch !== this.epoch) return;
    inflightBytes.set(this.records.bytes);
    const result = this.decodeWithRetry(records, schemas, epoch).then((out) => {
      batchPhaseSeconds.observe({ phase: 'decode' }, (performance.now() - t0) / 1000);
      return out;
    });
    this.decodeQueue.push({ epoch, tp, next: last, result });
    this.wakeRouter?.();
    if (this.records.bytes > this.cfg.sinkMaxInflightBytes && !this.paused.has(tp)) {
      this.paused.add(tp);
      this.consumer.pause(batch.topic, [batch.partition]);
    }
  }

  /** Registry lookups for the ids in these records; transient failures are retried here. */
  private async schemasFor(records: RawRecord[], heartbeat: () => Promise<void>): Promise<Record<number, string>> {
    const ids = new Set<number>();
    for (const r of records) {
      for (const b of [r.key, r.value]) {
        if (!b) continue;
        const h = readWireHeader(b);
        if (h.ok) ids.add(h.schemaId);
      }
    }
    const out: Record<number, string> = {};
    for (const id of ids) {
      const text = await this.retrying('registry', async () => {
        const t = await this.fetcher.get(id);
        this.setHealth('registry', true);
        return t;
      }, () => {
        this.setHealth('registry', false);
        return heartbeat().catch(() => undefined);
      });
      if (text !== null) out[id] = text;
    }
    return out;
  }

  private async decodeWithRetry(records: RawRecord[], schemas: Record<number, string>, epoch: number): Promise<DecodeOutput> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.bounded.run(records, schemas);
      } catch (err) {
        if (epoch !== this.epoch || this.decodeClosed) return { changes: [], failed: [], skipped: 0 };
        retries.inc({ stage: 'decode' });
        this.log.error({ err, attempt }, 'decode worker failed; retrying the job');
        await sleep(backoffMs(attempt, this.cfg.sinkRetryMaxMs));
      }
    }
  }

  private get decodeClosed(): boolean {
    return !this.running;
  }

  // ---- routing ----

  private async routeLoop(): Promise<void> {
    while (this.running) {
      const head = this.decodeQueue[0];
      if (!head) {
        await new Promise<void>((r) => (this.wakeRouter = r));
        continue;
      }
      const out = await head.result;
      if (this.decodeQueue[0] === head) this.decodeQueue.shift();
      if (head.epoch !== this.epoch) continue;
      await this.route(head, out);
    }
  }

  private async route(job: DecodeEntry, decoded: DecodeOutput): Promise<void> {
    const out = routeByTopic(decoded, this.cfg.kafkaTopicTemplate);
    if (out.skipped > 0) keyOnlyRecords.inc(out.skipped);
    if (out.failed.length > 0) {
      // Dead letters for undecodable records are acked before anything after them is routed, so
      // no later commit can move the offset past a record that is neither applied nor dead-lettered.
      await this.retrying('dlq', () => this.sendDeadLetters(out.failed));
      if (job.epoch !== this.epoch) return;
      for (const f of out.failed) this.records.forget(f.ref);
    }
    const now = Date.now();
    for (const change of out.changes) {
      const { batchId, ready } = this.batcher.add(change, now);
      this.batchEpoch.set(batchId, job.epoch);
      this.tracker.hold(batchId, job.tp, BigInt(change.ref.offset));
      for (const r of ready) this.enqueueReady(r.batch);
    }
    this.tracker.route(job.tp, job.next);
    this.wakeFlusher?.();
  }

  private enqueueReady(b: TableBatch): void {
    this.readyQueue.push({ ...b, epoch: this.batchEpoch.get(b.id) ?? this.epoch });
    this.wakeFlusher?.();
  }

  // ---- flushing ----

  private flushing = false;

  private async flushLoop(): Promise<void> {
    while (this.running) {
      for (const b of this.batcher.due(Date.now())) this.enqueueReady(b);
      const batch = this.readyQueue.shift();
      if (batch) {
        this.flushing = true;
        try {
          await this.flushWithRetry(batch);
        } finally {
          this.flushing = false;
        }
        continue;
      }
      if (Date.now() - this.lastOffsetCommit >= this.cfg.sinkBatchMaxWaitMs) await this.commitOffsetsOnly(false);
      const wait = Math.min(this.batcher.nextDueIn(Date.now()) ?? this.cfg.sinkBatchMaxWaitMs, this.cfg.sinkBatchMaxWaitMs);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(5, wait));
        this.wakeFlusher = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  private async flushWithRetry(batch: PendingBatch): Promise<void> {
    let doomed: RecordFailure[] | undefined; // set once the batch itself is at fault: dead-letter it
    let isolate = false; // after repeated unclassified errors: apply row by row, dead-letter the failing rows
    for (let attempt = 0; ; attempt++) {
      if (batch.epoch !== this.epoch) return; // dropped by a rebalance: re-read from stored offsets
      try {
        if (doomed) await this.deadLetterBatch(batch, doomed);
        else await this.exclusive(() => this.flushOnce(batch, isolate));
        this.setHealth('pg', true);
        return;
      } catch (err) {
        if (err instanceof FencedError) {
          await this.onFenced();
          return;
        }
        const cls = classifyError(err);
        const action = doomed ? 'retry' : batchFailureAction(cls, attempt);
        if (action === 'fatal' && cls.kind === 'fatal') return this.fatal(cls.message, err);
        if (action === 'dead-letter' && cls.kind === 'unknown' && !isolate) {
          isolate = true;
          attempt = -1;
          this.log.warn({ err, table: batch.table }, 'batch keeps failing with an unclassified error; applying it row by row');
          continue;
        }
        if (action === 'dead-letter') {
          doomed = batchFailures(batch.changes, cls, err);
          this.log.warn({ err, table: batch.table, records: doomed.length }, 'batch rejected because of its records or their schema; dead-lettering them');
          attempt = -1;
          continue;
        }
        if (cls.kind === 'transient') this.setHealth('pg', false);
        retries.inc({ stage: 'write' });
        if ((err as ReplicatorError).code === 'CDC_SCHEMA' || sqlState(err)?.startsWith('42')) this.tables.invalidate(batch.table);
        const delay = backoffMs(attempt, this.cfg.sinkRetryMaxMs);
        this.log.warn({ err, table: batch.table, attempt, delayMs: delay, errorClass: cls.kind }, 'batch failed; retrying');
        await sleep(delay);
        if (!this.running) return;
      }
    }
  }

  /** Dead letters for a whole batch, acked, then its offsets committed as if it had applied. */
  private async deadLetterBatch(batch: PendingBatch, failures: RecordFailure[]): Promise<void> {
    await this.sendDeadLetters(failures);
    await this.exclusive(async () => {
      if (batch.epoch !== this.epoch) return;
      const plan = this.tracker.plan([batch.id]);
      await this.writer.write({ target: undefined, steps: [], offsets: this.offsetWrites(plan), deadLetter: async () => undefined });
      this.tracker.release(batch.id);
      this.tracker.markCommitted(plan);
      this.batchEpoch.delete(batch.id);
      for (const c of batch.changes) this.records.forget(c.ref);
      this.afterCommit(plan);
    });
  }

  private async flushOnce(batch: PendingBatch, isolateUnknown = false): Promise<void> {
    if (batch.epoch !== this.epoch) return;
    const [keyId, valueId] = batch.schemaKey.split(':');
    const parsed = this.shapes.shape(keyId === '' ? undefined : Number(keyId), Number(valueId));
    const target = await this.tables.target(batch.table, parsed.shape);
    const { steps } = foldChanges(batch.changes);
    const plan = this.tracker.plan([batch.id]);
    const writes = this.offsetWrites(plan);
    await this.writer.write({ target, steps, offsets: writes, deadLetter: (f) => this.sendDeadLetters(f), isolateUnknown });
    // Committed.
    this.tracker.release(batch.id);
    this.tracker.markCommitted(plan);
    this.batchEpoch.delete(batch.id);
    for (const c of batch.changes) this.records.forget(c.ref);
    this.afterCommit(plan);
    let maxTs = 0n;
    const ops: Record<string, number> = {};
    for (const c of batch.changes) {
      const ts = BigInt(c.tsUs);
      if (ts > maxTs) maxTs = ts;
      ops[c.op] = (ops[c.op] ?? 0) + 1;
    }
    for (const [op, n] of Object.entries(ops)) recordsReplicated.inc({ table: batch.table, op }, n);
    replicationLag.set({ table: batch.table }, Math.max(0, Date.now() / 1000 - Number(maxTs) / 1e6));
    batchRows.observe(batch.changes.length);
    this.stats.batches++;
    this.stats.changes += batch.changes.length;
    const t = (this.stats.tables[batch.table] ??= { lastAppliedTsUs: '0', batches: 0, changes: 0 });
    if (maxTs > BigInt(t.lastAppliedTsUs)) t.lastAppliedTsUs = maxTs.toString();
    t.batches++;
    t.changes += batch.changes.length;
  }

  /** Partitions with nothing pending (only dead letters, tombstones, control records) still move. */
  private async commitOffsetsOnly(force: boolean): Promise<void> {
    this.lastOffsetCommit = Date.now();
    const plan = this.tracker.plan([]);
    if (plan.size === 0) return;
    const epoch = this.epoch;
    try {
      await this.exclusive(async () => {
        if (epoch !== this.epoch) return;
        await this.writer.write({ target: undefined, steps: [], offsets: this.offsetWrites(plan), deadLetter: async () => undefined });
        this.tracker.markCommitted(plan);
        this.afterCommit(plan);
      });
    } catch (err) {
      if (err instanceof FencedError) await this.onFenced();
      else if (force) this.log.warn({ err }, 'final offsets commit failed; the records are re-read on restart');
      else this.setHealth('pg', false);
    }
  }

  private offsetWrites(plan: Map<TopicPartitionKey, bigint>): OffsetWrite[] {
    const out: OffsetWrite[] = [];
    const committed = this.tracker.committedOffsets();
    for (const [tp, next] of plan) {
      const generation = this.generation.get(tp);
      const prev = committed.get(tp);
      if (generation === undefined || prev === undefined) continue;
      out.push({ ...tpOf(tp), next, generation, prev });
    }
    return out;
  }

  private afterCommit(plan: Map<TopicPartitionKey, bigint>): void {
    // Bytes of everything below the committed offsets are released (applied, dead-lettered, skipped).
    this.records.releaseBelow(this.tracker.committedOffsets());
    inflightBytes.set(this.records.bytes);
    for (const tp of [...this.paused]) {
      if (this.records.bytes <= this.cfg.sinkMaxInflightBytes / 2) {
        this.paused.delete(tp);
        const { topic, partition } = tpOf(tp);
        this.consumer.resume(topic, [partition]);
      }
    }
    for (const k of this.dlqSent) {
      const at = k.lastIndexOf('@');
      const committed = plan.get(k.slice(0, at));
      if (committed !== undefined && BigInt(k.slice(at + 1)) < committed) this.dlqSent.delete(k);
    }
    void this.consumer.commitAdvisory([...plan].map(([tp, offset]) => ({ ...tpOf(tp), offset })));
  }

  private async onFenced(): Promise<void> {
    fencedTotal.inc();
    this.log.warn('fenced: another owner claimed a partition; dropping uncommitted work and rejoining');
    await this.exclusive(async () => this.resetPipeline());
    await this.consumer.restart();
  }

  // ---- dead letters ----

  private async sendDeadLetters(failures: RecordFailure[]): Promise<void> {
    const letters: DeadLetter[] = [];
    for (const f of failures) {
      const k = refKey(f.ref);
      if (this.dlqSent.has(k)) continue; // already acked during an earlier attempt of this batch
      const m = this.records.get(f.ref);
      letters.push({ failure: f, key: m?.key ?? null, value: m?.value ?? null, headers: m?.headers ?? {}, timestamp: m?.timestamp });
    }
    if (letters.length === 0) return;
    await this.dlq.send(letters);
    for (const l of letters) {
      this.dlqSent.add(refKey(l.failure.ref));
      dlqRecords.inc({ reason: l.failure.reason });
      this.stats.dlq[l.failure.reason] = (this.stats.dlq[l.failure.reason] ?? 0) + 1;
      this.log.warn({ topic: l.failure.ref.topic, partition: l.failure.ref.partition, offset: l.failure.ref.offset, reason: l.failure.reason, stage: l.failure.stage, msg: l.failure.message }, 'record dead-lettered');
    }
  }

  // ---- helpers ----

  /** Serializes PG writes and (re)assignment: a rebalance never interleaves with a commit. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async retrying<T>(stage: string, fn: () => Promise<T>, onFail?: () => Promise<unknown> | void): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const fatal = fatalError(err);
        if (fatal) {
          if (this.loops.length > 0) this.fatal(fatal.message, err);
          throw fatal; // before the loops run, start() rejects and the process exits with its exitCode
        }
        if (stage === 'init' || stage === 'claim') this.setHealth('pg', false);
        if (stage === 'dlq' || stage === 'watermarks' || stage === 'topic-ids') this.setHealth('kafka', false);
        retries.inc({ stage });
        const delay = backoffMs(attempt, this.cfg.sinkRetryMaxMs);
        this.log.warn({ err, stage, attempt, delayMs: delay }, 'transient failure; retrying');
        await onFail?.();
        await sleep(delay);
        if (!this.running && stage !== 'init') throw new ReplicatorError('CDC_CLOSED', 'sink stopped while retrying', false, { cause: err });
      }
    }
  }

  private async refreshOffsetProblems(): Promise<void> {
    try {
      if (await this.guard.refresh()) {
        this.log.info('a held partition was acknowledged; re-joining the group to read it from its log start');
        await this.consumer.restart();
      }
    } catch (err) {
      this.log.debug({ err }, 'offset problems refresh failed');
    }
  }

  private async updateLag(): Promise<void> {
    await this.refreshOffsetProblems();
    // Piggybacks on the lag timer: the reconcile history changes rarely and the query is tiny.
    await refreshAccuracy(this.pool, this.cfg.pgSchema).catch((err: unknown) => this.log.debug({ err }, 'accuracy refresh failed'));
    try {
      const committed = this.tracker.committedOffsets();
      const samples: PartitionSample[] = [];
      for (const w of await this.consumer.highWatermarks()) {
        const c = committed.get(tpKey(w.topic, w.partition));
        if (c === undefined) continue;
        consumerLag.set({ topic: w.topic, partition: String(w.partition) }, Number(w.high > c ? w.high - c : 0n));
        samples.push({ name: `${w.topic}/${w.partition}`, committed: c, end: w.high });
      }
      this.stall.observe(Date.now(), samples);
      sinkStalled.set(this.stall.reasons().length > 0 ? 1 : 0);
    } catch (err) {
      this.log.debug({ err }, 'consumer lag refresh failed');
    }
  }
}
