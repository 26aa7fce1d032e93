/**
 * Flush and commit: closed table batches are written up to SINK_FLUSH_CONCURRENCY at a time, one
 * per flush lane (core/flush-lanes.ts says which may run together and why that is safe), each in one
 * PostgreSQL transaction with its lane's offsets (pg-writer.ts), retried, isolated row by row or
 * dead-lettered by error class (classify-error.ts); partitions with nothing to write still get their
 * offsets committed.
 */
import { backoffMs } from '../core/backoff.js';
import { isFenced } from '../core/errors.js';
import type { SharedLock } from '../core/shared-lock.js';
import type { Logger } from '../log/logger.js';
import { batchPhaseSeconds, inflightBytes, retries } from '../metrics/sink-metrics.js';
import type { TableBatch } from './core/batcher.js';
import { batchFailures } from './core/batch-failures.js';
import { batchFailureAction, classifyError, isStaleTable } from './core/classify-error.js';
import type { SchemaCache } from './core/decode-record.js';
import { foldChanges } from './core/fold.js';
import { unpackChange, unpackEach } from './core/packed-change.js';
import { tpOf, type TopicPartitionKey } from './core/offset-tracker.js';
import { idleLane, lanePartitions, nextRunnable } from './core/flush-lanes.js';
import type { RecordFailure } from './core/types.js';
import type { AssignmentState } from './assignment-state.js';
import type { DeadLetters } from './dead-letters.js';
import type { KafkaConsumer } from './kafka-consumer.js';
import type { OffsetWrite } from './offset-store.js';
import { sleep } from './retrier.js';
import { UNIQUE_VIOLATION, type PgWriter } from './pg-writer.js';
import type { SinkHealth } from './sink-health.js';
import { AppliedTally, type SinkStats } from './sink-stats.js';
import type { TableManager } from './table-manager.js';
import { partitionKeyLength } from './core/static-partition-sql.js';

export interface FlusherDeps {
  log: Logger;
  batchMaxWaitMs: number;
  maxInflightBytes: number;
  retryMaxMs: number;
  /** SINK_FLUSH_CONCURRENCY: batches written at the same time (1 = one after another). */
  concurrency: number;
  writer: PgWriter;
  tables: TableManager;
  shapes: SchemaCache;
  dead: DeadLetters;
  consumer: Pick<KafkaConsumer, 'resume' | 'commitAdvisory'>;
  health: SinkHealth;
  stats: SinkStats;
  lock: SharedLock;
  state: () => AssignmentState;
  running: () => boolean;
  /** A commit of `state` was refused: a newer claim owns one of its partitions. */
  fenced: (state: AssignmentState) => Promise<void>;
  fatal: (message: string, cause: unknown) => void;
}

export class Flusher {
  private wakeUp: (() => void) | undefined;
  /** Set by wake(): the loop looks again before sleeping (a wake while it was busy is not lost). */
  private woken = false;
  /** Batches being written (of any assignment: a dropped one's finish on their own). */
  private readonly flushing = new Set<TableBatch>();
  private lastOffsetCommit = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly d: FlusherDeps) {}

  enqueue(state: AssignmentState, batch: TableBatch): void {
    state.ready.push(batch);
    this.wake();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Resolves once no batch is ready or being flushed. */
  idle(): Promise<void> {
    if (this.d.state().ready.length === 0 && this.flushing.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async loop(): Promise<void> {
    while (this.d.running()) {
      this.woken = false;
      const state = this.d.state();
      for (const b of state.batcher.due(Date.now())) state.ready.push(b);
      // A batch whose lane is idle is written now rather than at its age when no fetch is being
      // decoded: nothing more is on its way, so waiting would only add latency (core/batcher.ts).
      // While fetches are decoded (a backlog) it keeps filling: small batches cost throughput.
      if (this.flushing.size < this.d.concurrency && state.decoding === 0)
        for (const b of state.batcher.closeWhere(idleLane([...this.flushing, ...state.ready]))) state.ready.push(b);
      const next = nextRunnable(state.ready, [...this.flushing], this.d.concurrency);
      if (next >= 0) {
        this.start(state, state.ready.splice(next, 1)[0]!);
        continue;
      }
      if (state.ready.length === 0 && this.flushing.size === 0) for (const r of this.idleWaiters.splice(0)) r();
      if (Date.now() - this.lastOffsetCommit >= this.d.batchMaxWaitMs) await this.commitOffsetsOnly(false);
      if (this.woken) continue;
      const wait = Math.min(state.batcher.nextDueIn(Date.now()) ?? this.d.batchMaxWaitMs, this.d.batchMaxWaitMs);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(5, wait));
        this.wakeUp = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    while (this.flushing.size > 0) await new Promise<void>((r) => (this.wakeUp = r));
    for (const r of this.idleWaiters.splice(0)) r();
  }

  private start(state: AssignmentState, batch: TableBatch): void {
    this.flushing.add(batch);
    void this.flushWithRetry(state, batch)
      .catch((err: unknown) => this.d.log.error({ err, table: batch.table }, 'flushing a batch failed; its records are re-read after a restart or rebalance'))
      .finally(() => {
        this.flushing.delete(batch);
        this.wake();
      });
  }

  private async flushWithRetry(state: AssignmentState, batch: TableBatch): Promise<void> {
    let doomed: RecordFailure[] | undefined; // set once the batch itself is at fault: dead-letter it
    let isolate = false; // after repeated unclassified errors: apply row by row, dead-letter the failing rows
    for (let attempt = 0; ; attempt++) {
      if (state.dropped) return; // dropped by a rebalance: re-read from stored offsets
      try {
        if (doomed) await this.deadLetterBatch(state, batch, doomed);
        else await this.d.lock.shared(() => this.flushOnce(state, batch, isolate));
        this.d.health.set('pg', true);
        return;
      } catch (err) {
        if (isFenced(err)) return this.fenced(state);
        if (isUniqueRace(err) && !batch.alone) {
          // Another lane of this table inserted the same key (flush-lanes.ts): not the record's fault.
          // Back to the head of the queue: the loop restarts it once no other batch of its table runs.
          batch.alone = true;
          state.ready.unshift(batch);
          this.d.log.warn({ err, table: batch.table }, 'unique violation while other lanes of the table were flushing; retrying the batch alone');
          return;
        }
        const cls = classifyError(err);
        const action = doomed ? 'retry' : batchFailureAction(cls, attempt);
        if (action === 'fatal' && cls.kind === 'fatal') return this.d.fatal(cls.message, err);
        if (action === 'dead-letter' && cls.kind === 'unknown' && !isolate) {
          isolate = true;
          attempt = -1;
          this.d.log.warn({ err, table: batch.table }, 'batch keeps failing with an unclassified error; applying it row by row');
          continue;
        }
        if (action === 'dead-letter') {
          doomed = batchFailures(batch.changes, cls, err);
          this.d.log.warn({ err, table: batch.table, records: doomed.length }, 'batch rejected because of its records or their schema; dead-lettering them');
          attempt = -1;
          continue;
        }
        if (cls.kind === 'transient') this.d.health.set('pg', false);
        retries.inc({ stage: 'write' });
        if (isStaleTable(err)) this.d.tables.invalidate(batch.table);
        const delay = backoffMs(attempt, this.d.retryMaxMs);
        this.d.log.warn({ err, table: batch.table, attempt, delayMs: delay, errorClass: cls.kind }, 'batch failed; retrying');
        await sleep(delay);
        if (!this.d.running()) return;
      }
    }
  }

  /** Dead letters for a whole batch, acked, then its offsets committed as if it had applied. */
  private async deadLetterBatch(state: AssignmentState, batch: TableBatch, failures: RecordFailure[]): Promise<void> {
    await this.d.dead.send(failures, state.records);
    await this.d.lock.shared(async () => {
      if (state.dropped) return;
      await this.commitBatch(state, batch, { target: undefined, steps: [] });
    });
  }

  private async flushOnce(state: AssignmentState, batch: TableBatch, isolateUnknown: boolean): Promise<void> {
    if (state.dropped) return;
    const parsed = this.d.shapes.shape(batch.schemaIds.key, batch.schemaIds.value);
    const first = batch.changes[0]!; // a batch holds one topic's changes (batcher.ts)
    let target = await this.d.tables.target(batch.table, parsed.shape, { topic: first.ref.topic, ...(first.keyspace !== undefined ? { keyspace: first.keyspace } : {}) });
    const partitionWide = batch.changes.find((c) => c.kind === 'static_row' || c.kind === 'partition_delete');
    if (partitionWide)
      target = await this.d.tables.withStatics(
        target,
        partitionKeyLength(unpackChange(partitionWide)),
        batch.changes.some((c) => c.kind === 'static_row'),
      );
    // Unpacked only now, one change at a time as the fold takes it (core/packed-change.ts); the
    // fold phase counts the unpacking.
    const t0 = performance.now();
    const tally = new AppliedTally();
    const { steps } = foldChanges(unpackEach(batch.changes, (c) => tally.count(c)));
    batchPhaseSeconds.observe({ phase: 'fold' }, (performance.now() - t0) / 1000);
    // Alone (or with one lane), a unique violation is the record's; else it may be a race (flush-lanes.ts).
    const uniqueRaces = this.d.concurrency > 1 && !batch.alone;
    await this.commitBatch(state, batch, { target, steps, isolateUnknown, uniqueRaces });
    this.d.stats.applied(batch.table, tally);
  }

  /** Writes the batch's steps with the offsets its commit makes committable, in one transaction. */
  private async commitBatch(
    state: AssignmentState,
    batch: TableBatch,
    write: Pick<Parameters<PgWriter['write']>[0], 'target' | 'steps' | 'isolateUnknown' | 'uniqueRaces'>,
  ): Promise<void> {
    // Only the lane's own partitions: another lane may be committing the others right now.
    const plan = state.tracker.plan([batch.id], lanePartitions(state.lanes, new Set([batch.lane])));
    await this.d.writer.write({ ...write, offsets: offsetWrites(state, plan), deadLetter: (f) => this.d.dead.send(f, state.records) });
    state.tracker.release(batch.id);
    state.tracker.markCommitted(plan);
    for (const c of batch.changes) state.records.forget(c.ref);
    this.afterCommit(state, plan);
  }

  /**
   * Partitions with nothing pending (only dead letters, tombstones, control records) still move:
   * those of the lanes no batch is being written for (the loop starts none meanwhile). One at a
   * time: two would write the same offset rows (the drain's and the loop's).
   */
  commitOffsetsOnly(force: boolean): Promise<void> {
    this.offsetsOnly = this.offsetsOnly.then(() => this.commitFreeOffsets(force));
    return this.offsetsOnly;
  }

  private offsetsOnly: Promise<void> = Promise.resolve();

  private async commitFreeOffsets(force: boolean): Promise<void> {
    this.lastOffsetCommit = Date.now();
    const state = this.d.state();
    const busy = new Set([...this.flushing].map((b) => b.lane));
    const free = new Set([...new Set(state.lanes.values())].filter((l) => !busy.has(l)));
    if (busy.size > 0 && free.size === 0) return;
    try {
      await this.d.lock.shared(async () => {
        if (state.dropped) return;
        const plan = state.tracker.plan([], busy.size === 0 ? undefined : lanePartitions(state.lanes, free));
        if (plan.size === 0) return;
        await this.d.writer.write({ target: undefined, steps: [], offsets: offsetWrites(state, plan), deadLetter: async () => undefined });
        state.tracker.markCommitted(plan);
        this.afterCommit(state, plan);
      });
    } catch (err) {
      if (isFenced(err)) await this.fenced(state);
      else if (force) this.d.log.warn({ err }, 'final offsets commit failed; the records are re-read on restart');
      else this.d.health.set('pg', false);
    }
  }

  /** Concurrent lanes may all be fenced at once: the first one drops the state and rejoins. */
  private async fenced(state: AssignmentState): Promise<void> {
    if (state.fenced) return;
    state.fenced = true;
    await this.d.fenced(state);
  }

  private afterCommit(state: AssignmentState, plan: Map<TopicPartitionKey, bigint>): void {
    // Bytes of everything below the committed offsets are released (applied, dead-lettered, skipped).
    state.records.releaseBelow(state.tracker.committedOffsets());
    inflightBytes.set(state.records.bytes);
    // Resumed below three quarters of the bound, not half: while the next fetch is on its way and
    // decoding, the lanes live on what is left, and at half they ran dry (a 200k users backlog: 0.17–0.30
    // of copy-limit at half against 0.37–0.40 at three quarters with kafkajs's paused sleep at 100 ms).
    for (const tp of [...state.paused]) {
      if (state.records.bytes <= this.d.maxInflightBytes * 0.75) {
        state.paused.delete(tp);
        const { topic, partition } = tpOf(tp);
        this.d.consumer.resume(topic, [partition], 'memory'); // a table the operator paused stays paused
      }
    }
    this.d.dead.committed(plan);
    void this.d.consumer.commitAdvisory([...plan].map(([tp, offset]) => ({ ...tpOf(tp), offset })));
  }
}

const isUniqueRace = (err: unknown): boolean => (err as { code?: unknown }).code === UNIQUE_VIOLATION;

function offsetWrites(state: AssignmentState, plan: Map<TopicPartitionKey, bigint>): OffsetWrite[] {
  const out: OffsetWrite[] = [];
  const committed = state.tracker.committedOffsets();
  for (const [tp, next] of plan) {
    const generation = state.generation.get(tp);
    const prev = committed.get(tp);
    if (generation === undefined || prev === undefined) continue;
    out.push({ ...tpOf(tp), next, generation, prev });
  }
  return out;
}
