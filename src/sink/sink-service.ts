/**
 * The sink pipeline: consume → decode (workers) → route to table batches → write (one PG transaction per batch, offsets inside) → advisory
 * group commit. This class wires the parts and owns the lifecycle; intake.ts takes fetches to routed table batches, flusher.ts writes and
 * commits them, table-warm-up.ts readies an assigned topic's table before its first record. Invariants:
 * - Records of a partition are routed in offset order (decode jobs are routed in submission order).
 * - An offset is committed only past records that are applied, dead-lettered (acked) or skipped (OffsetTracker).
 * - A rebalance or a fence drops every uncommitted thing (a new AssignmentState): it is re-read from the offsets stored in PostgreSQL, so
 *   nothing is lost and nothing applied twice.
 * - Memory: records fetched but not committed, counted as encoded bytes + their decoded heap (inflight-records.ts), are bounded by
 *   SINK_MAX_INFLIGHT_BYTES (+ one fetch, a sixteenth of it: core/fetch-sizes.ts); above it the partition is paused until commits free it.
 * - A table the operator paused (table-pauses.ts) is not taken from Kafka: its stored offsets stay right after its last applied change
 *   until `resume`, across rebalances and restarts.
 */
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { SinkConfig } from '../config/sink-config.js';
import { ReplicatorError } from '../core/errors.js';
import { SharedLock } from '../core/shared-lock.js';
import type { Logger } from '../log/logger.js';
import type { StatusProvider } from '../metrics/http-server.js';
import { fencedTotal, inflightBytes } from '../metrics/sink-metrics.js';
import { RegistryHttp } from '../clients/registry.js';
import { SchemaCache } from './core/decode-record.js';
import { tpKey, tpOf } from './core/offset-tracker.js';
import { parseTopicSelector } from './core/topic-match.js';
import { AssignmentState } from './assignment-state.js';
import { BoundedDecoder } from './bounded-decode.js';
import { DeadLetters } from './dead-letters.js';
import { DecodePool } from './decode-pool.js';
import { DlqProducer } from './dlq-producer.js';
import { Flusher } from './flusher.js';
import { Intake } from './intake.js';
import { KafkaConsumer, type Assignment } from './kafka-consumer.js';
import { OffsetGuard } from './offset-guard.js';
import { OffsetStore } from './offset-store.js';
import { PgWriter } from './pg-writer.js';
import { Retrier } from './retrier.js';
import { SchemaFetcher } from './schema-fetcher.js';
import { SinkHealth } from './sink-health.js';
import { SinkStats } from './sink-stats.js';
import { StallDetector } from './core/stall-detector.js';
import { TableManager } from './table-manager.js';
import { TableWarmUp } from './table-warm-up.js';
import { Housekeeping } from './housekeeping.js';
import { LagTimer } from './lag-timer.js';
import { rejoinIfUnassigned } from './rejoin-timer.js';
import { PausedTablesStore } from './paused-tables-store.js';
import { TablePauses } from './table-pauses.js';
import { fetchSizes } from './core/fetch-sizes.js';
import { assignLanes } from './core/flush-lanes.js';

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
  private readonly fetcher: SchemaFetcher;
  private readonly tables: TableManager;
  private readonly warmUp: TableWarmUp;
  private readonly stall: StallDetector;
  private readonly dlq: DlqProducer;
  private readonly dead: DeadLetters;
  private readonly consumer: KafkaConsumer;
  private readonly guard: OffsetGuard;
  private readonly retry: Retrier;
  private readonly intake: Intake;
  private readonly flusher: Flusher;
  private readonly lock = new SharedLock();
  private readonly health = new SinkHealth();
  private readonly stats = new SinkStats();
  private readonly housekeeping: Housekeeping;
  private readonly pauses: TablePauses;

  private state: AssignmentState;
  private running = false;
  private draining = false;
  private started = false;
  private loop: Promise<void> | undefined;
  private readonly lagTimer: LagTimer;

  constructor(deps: SinkServiceDeps) {
    const cfg = (this.cfg = deps.config);
    const log = (this.log = deps.log);
    this.pool = deps.pool;
    this.state = this.newState();
    this.decode = new DecodePool(cfg.sinkWorkers, cfg.sinkWorkerHeapMb, (err) =>
      log.warn({ err }, 'a decode worker died outside a task (e.g. past SINK_WORKER_HEAP_MB); piscina replaces it'),
    );
    this.fetcher = new SchemaFetcher(new RegistryHttp(cfg));
    this.stall = new StallDetector({ timeoutMs: cfg.sinkStallTimeoutMs, maxLag: cfg.sinkStallMaxLag });
    this.tables = new TableManager(
      deps.pool,
      cfg.pgSchema,
      { autoCreate: cfg.sinkAutoCreate, autoEvolve: cfg.sinkAutoEvolve, deleteMode: cfg.sinkDeleteMode, map: cfg.sinkTableMap, exclude: cfg.sinkExcludeColumns },
      log,
    );
    this.housekeeping = new Housekeeping(deps.pool, cfg, this.tables, log);
    this.warmUp = new TableWarmUp(this.fetcher, this.tables, deps.pool, cfg, log, () => this.running && !this.draining);
    const offsets = new OffsetStore(cfg.pgSchema, cfg.sinkGroupId);
    this.lagTimer = new LagTimer({
      pool: deps.pool,
      schema: cfg.pgSchema,
      log,
      consumer: () => this.consumer,
      guard: () => this.guard,
      pauses: () => this.pauses,
      stall: this.stall,
      state: () => this.state,
      draining: () => this.draining,
      offsets,
      // PostgreSQL lost commits it acknowledged (core/lost-commits.ts): re-read from what it holds.
      lost: () => this.lock.run(async () => this.dropState()).then(() => this.consumer.restart()),
    });
    this.pauses = new TablePauses(deps.pool, new PausedTablesStore(cfg.pgSchema, cfg.sinkGroupId), cfg.kafkaTopicTemplate, log);
    this.dlq = new DlqProducer(deps.kafka, cfg.dlqTopic, cfg.sinkGroupId);
    this.dead = new DeadLetters(this.dlq, log);
    this.retry = new Retrier({
      maxMs: cfg.sinkRetryMaxMs,
      log,
      health: this.health,
      running: () => this.running,
      // Before the flush loop runs, start() rejects and the process exits with the error's exitCode.
      onFatal: (err, cause) => {
        if (this.loop) this.fatal(err.message, cause);
      },
    });
    this.guard = new OffsetGuard(
      deps.pool,
      deps.kafka,
      offsets,
      cfg.pgSchema,
      cfg.sinkGroupId,
      cfg.sinkOffsetReset,
      {
        watermarks: (topic) => this.consumer.watermarks(topic),
        retrying: (step, fn) => this.retry.run(step, fn),
      },
      log,
    );
    const common = {
      log,
      retryMaxMs: cfg.sinkRetryMaxMs,
      maxInflightBytes: cfg.sinkMaxInflightBytes,
      dead: this.dead,
      health: this.health,
      state: () => this.state,
      running: () => this.running,
    };
    this.flusher = new Flusher({
      ...common,
      batchMaxWaitMs: cfg.sinkBatchMaxWaitMs,
      concurrency: cfg.sinkFlushConcurrency,
      writer: new PgWriter(deps.pool, offsets, { synchronousCommit: cfg.sinkSynchronousCommit, applyPath: cfg.sinkApplyPath }),
      tables: this.tables,
      shapes: new SchemaCache((id) => this.fetcher.known(id) ?? undefined),
      consumer: { resume: (t, p, r) => this.consumer.resume(t, p, r), commitAdvisory: (o) => this.consumer.commitAdvisory(o) },
      stats: this.stats,
      lock: this.lock,
      fenced: (state) => this.onFenced(state),
      fatal: (message, cause) => this.fatal(message, cause),
    });
    this.intake = new Intake({
      ...common,
      topicTemplate: cfg.kafkaTopicTemplate,
      consumer: { pause: (t, p, r) => this.consumer.pause(t, p, r), seek: (t, p, o) => this.consumer.seek(t, p, o) },
      tablePaused: (topic) => this.pauses.isPaused(topic),
      guard: this.guard,
      fetcher: this.fetcher,
      decoder: new BoundedDecoder(this.decode, { maxRecordBytes: cfg.sinkMaxRecordBytes, timeoutMs: cfg.sinkDecodeTimeoutMs }, log),
      retry: this.retry,
      draining: () => this.draining,
      ready: (state, batch) => this.flusher.enqueue(state, batch),
      routed: () => this.flusher.wake(),
    });
    this.consumer = new KafkaConsumer(
      deps.kafka,
      cfg.sinkGroupId,
      parseTopicSelector(cfg.sinkTopics),
      cfg.dlqTopic,
      cfg.sinkTopicRefreshMs,
      cfg.sinkSessionTimeoutMs,
      fetchSizes(cfg.sinkMaxInflightBytes),
      {
        onAssign: (a) => this.onAssign(a),
        onBatch: (b, hb) => this.intake.onBatch(b, hb),
        onHealth: (ok) => this.health.set('kafka', ok),
      },
      log,
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.running = true;
    await this.retry.run({ stage: 'init', health: 'pg', whileStopping: true }, async () => {
      await this.tables.init();
      this.health.set('pg', true);
    });
    await this.retry.run({ stage: 'registry' }, () => this.fetcher.probe());
    await this.retry.run({ stage: 'dlq', health: 'kafka' }, () => this.dlq.start());
    // Before the first assignment: a sink restarted while a table is paused never applies it.
    await this.retry.run({ stage: 'init', health: 'pg' }, () => this.pauses.refresh());
    this.loop = this.flusher.loop();
    await this.consumer.start();
    this.lagTimer.start(Math.min(this.cfg.sinkTopicRefreshMs, 5000));
    this.housekeeping.start();
  }

  /** Drain: stop intake, finish decode, flush every batch, commit, close. */
  async stop(): Promise<void> {
    if (!this.started || this.draining) return;
    this.draining = true;
    this.lagTimer.stop();
    await this.housekeeping.stop();
    for (const tp of this.state.tracker.committedOffsets().keys()) {
      const { topic, partition } = tpOf(tp);
      this.consumer.pause(topic, [partition], 'drain');
    }
    // After a fatal error the loop is gone and nothing can drain: uncommitted work is re-read later.
    if (this.running) {
      await this.intake.idle();
      const state = this.state;
      for (const b of state.batcher.drain()) this.flusher.enqueue(state, b);
      await this.flusher.idle();
      await this.flusher.commitOffsetsOnly(true);
    }
    this.running = false;
    this.flusher.wake();
    await this.loop;
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
    this.health.set('pg', false);
    this.running = false;
    this.resolveFailed?.(err);
  }

  // ---- status ----

  healthy(): boolean {
    return this.health.healthy();
  }

  ready(): boolean {
    return this.running && !this.draining && this.guard.openProblems().length === 0 && this.stall.reasons().length === 0;
  }

  notReadyReasons(): string[] {
    return [...this.guard.problemReasons(), ...this.stall.reasons()];
  }

  status(): unknown {
    const s = this.state;
    return {
      component: 'sink',
      healthy: this.healthy(),
      health: this.health.parts,
      topics: this.consumer.subscribed(),
      assigned: [...s.tracker.committedOffsets()].map(([tp, next]) => ({ ...tpOf(tp), nextOffset: next.toString(), generation: s.generation.get(tp)?.toString() })),
      inflightBytes: s.records.bytes,
      pausedPartitions: s.paused.size,
      pausedTables: this.pauses.status(),
      batches: this.stats.batches,
      changes: this.stats.changes,
      dlq: this.dead.counts,
      tables: this.stats.tables,
      offsetProblems: this.guard.openProblems(),
      stalled: this.stall.reasons(),
    };
  }

  // ---- assignment ----

  private newState(): AssignmentState {
    return new AssignmentState({ maxSize: this.cfg.sinkBatchSize, maxWaitMs: this.cfg.sinkBatchMaxWaitMs });
  }

  private async onAssign(assignment: Assignment[]): Promise<void> {
    await this.lock.run(async () => {
      this.dropState();
      if (this.draining || !this.running) return; // a rebalance during the drain: nothing to place
      for (const h of this.consumer.pausedFor('held')) this.consumer.resume(h.topic, [h.partition], 'held'); // placed anew below
      const placed = await this.guard.place(assignment);
      this.state.lanes = assignLanes(
        placed.filter((p) => p.from !== null),
        this.cfg.sinkFlushConcurrency,
      );
      for (const p of placed) {
        if (p.from === null) {
          this.consumer.pause(p.topic, [p.partition], 'held'); // held (SINK_OFFSET_RESET=fail): not read
          continue;
        }
        const tp = tpKey(p.topic, p.partition);
        this.state.tracker.assign(tp, p.from);
        this.state.fetched.set(tp, p.from);
        this.state.generation.set(tp, p.generation);
        this.consumer.seek(p.topic, p.partition, p.from);
      }
      this.pauses.apply(this.consumer, this.state); // a partition of a paused table starts paused
      this.warmUp.start(placed.filter((p) => p.from !== null).map((p) => p.topic));
      this.log.info({ assignment }, 'partitions assigned; resuming from offsets stored in PostgreSQL');
    });
  }

  /** Forget all uncommitted work; it is re-read from the stored offsets. */
  private dropState(): void {
    const old = this.state;
    old.drop();
    for (const { topic, partition } of [...old.paused].map(tpOf)) this.consumer.resume(topic, [partition], 'memory');
    this.state = this.newState();
    inflightBytes.set(0);
  }

  /**
   * A commit of `fenced` was refused by a newer claim, under the eager rebalance mostly the rebalance itself (its GROUP_JOIN queued on
   * the lock or near; re-joining stopped all members once more): a replaced assignment is done with; else drop the work and wait (rejoin-timer.ts).
   */
  private async onFenced(fenced: AssignmentState): Promise<void> {
    fencedTotal.inc();
    const replaced = await this.lock.run(async () => {
      if (fenced !== this.state) return true;
      this.dropState();
      return false;
    });
    if (replaced) return this.log.info('a commit of the previous assignment was fenced by the rebalance that replaced it; its owner reads it again');
    this.log.warn('fenced: another owner claimed a partition; dropping uncommitted work and waiting for the new assignment');
    const waiting = this.state;
    const stillWaiting = () => this.state === waiting && this.running && !this.draining;
    rejoinIfUnassigned({ log: this.log, sessionTimeoutMs: this.cfg.sinkSessionTimeoutMs, stillWaiting, restart: () => this.consumer.restart() });
  }
}
