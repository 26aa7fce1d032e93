/**
 * Flush and commit: closed table batches are written one at a time (one PostgreSQL transaction per
 * batch, its offsets inside, pg-writer.ts), retried, isolated row by row or dead-lettered by error
 * class (classify-error.ts); partitions with nothing to write still get their offsets committed.
 */
import { backoffMs } from '../core/backoff.js';
import { isFenced } from '../core/errors.js';
import type { SerialLock } from '../core/serial-lock.js';
import type { Logger } from '../log/logger.js';
import { inflightBytes, retries } from '../metrics/sink-metrics.js';
import type { TableBatch } from './core/batcher.js';
import { batchFailures } from './core/batch-failures.js';
import { batchFailureAction, classifyError, isStaleTable } from './core/classify-error.js';
import type { SchemaCache } from './core/decode-record.js';
import { foldChanges } from './core/fold.js';
import { tpOf, type TopicPartitionKey } from './core/offset-tracker.js';
import type { RecordFailure } from './core/types.js';
import type { AssignmentState } from './assignment-state.js';
import type { DeadLetters } from './dead-letters.js';
import type { KafkaConsumer } from './kafka-consumer.js';
import type { OffsetWrite } from './offset-store.js';
import type { PgWriter } from './pg-writer.js';
import { sleep } from './retrier.js';
import type { SinkHealth } from './sink-health.js';
import type { SinkStats } from './sink-stats.js';
import type { TableManager } from './table-manager.js';
import { partitionKeyLength } from './core/static-partition-sql.js';

export interface FlusherDeps {
  log: Logger;
  batchMaxWaitMs: number;
  maxInflightBytes: number;
  retryMaxMs: number;
  writer: PgWriter;
  tables: TableManager;
  shapes: SchemaCache;
  dead: DeadLetters;
  consumer: Pick<KafkaConsumer, 'resume' | 'commitAdvisory'>;
  health: SinkHealth;
  stats: SinkStats;
  lock: SerialLock;
  state: () => AssignmentState;
  running: () => boolean;
  /** A commit of `state` was refused: a newer claim owns one of its partitions. */
  fenced: (state: AssignmentState) => Promise<void>;
  fatal: (message: string, cause: unknown) => void;
}

export class Flusher {
  private wakeUp: (() => void) | undefined;
  private flushing = false;
  private lastOffsetCommit = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly d: FlusherDeps) {}

  enqueue(state: AssignmentState, batch: TableBatch): void {
    state.ready.push(batch);
    this.wake();
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Resolves once no batch is ready or being flushed. */
  idle(): Promise<void> {
    if (this.d.state().ready.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async loop(): Promise<void> {
    while (this.d.running()) {
      const state = this.d.state();
      for (const b of state.batcher.due(Date.now())) state.ready.push(b);
      const batch = state.ready.shift();
      if (batch) {
        this.flushing = true;
        try {
          await this.flushWithRetry(state, batch);
        } finally {
          this.flushing = false;
        }
        continue;
      }
      for (const r of this.idleWaiters.splice(0)) r();
      if (Date.now() - this.lastOffsetCommit >= this.d.batchMaxWaitMs) await this.commitOffsetsOnly(false);
      const wait = Math.min(state.batcher.nextDueIn(Date.now()) ?? this.d.batchMaxWaitMs, this.d.batchMaxWaitMs);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(5, wait));
        this.wakeUp = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    for (const r of this.idleWaiters.splice(0)) r();
  }

  private async flushWithRetry(state: AssignmentState, batch: TableBatch): Promise<void> {
    let doomed: RecordFailure[] | undefined; // set once the batch itself is at fault: dead-letter it
    let isolate = false; // after repeated unclassified errors: apply row by row, dead-letter the failing rows
    for (let attempt = 0; ; attempt++) {
      if (state.dropped) return; // dropped by a rebalance: re-read from stored offsets
      try {
        if (doomed) await this.deadLetterBatch(state, batch, doomed);
        else await this.d.lock.run(() => this.flushOnce(state, batch, isolate));
        this.d.health.set('pg', true);
        return;
      } catch (err) {
        if (isFenced(err)) {
          await this.d.fenced(state);
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
    await this.d.lock.run(async () => {
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
        partitionKeyLength(partitionWide),
        batch.changes.some((c) => c.kind === 'static_row'),
      );
    const { steps } = foldChanges(batch.changes);
    await this.commitBatch(state, batch, { target, steps, isolateUnknown });
    this.d.stats.applied(batch);
  }

  /** Writes the batch's steps with the offsets its commit makes committable, in one transaction. */
  private async commitBatch(state: AssignmentState, batch: TableBatch, write: Pick<Parameters<PgWriter['write']>[0], 'target' | 'steps' | 'isolateUnknown'>): Promise<void> {
    const plan = state.tracker.plan([batch.id]);
    await this.d.writer.write({ ...write, offsets: offsetWrites(state, plan), deadLetter: (f) => this.d.dead.send(f, state.records) });
    state.tracker.release(batch.id);
    state.tracker.markCommitted(plan);
    for (const c of batch.changes) state.records.forget(c.ref);
    this.afterCommit(state, plan);
  }

  /** Partitions with nothing pending (only dead letters, tombstones, control records) still move. */
  async commitOffsetsOnly(force: boolean): Promise<void> {
    this.lastOffsetCommit = Date.now();
    const state = this.d.state();
    const plan = state.tracker.plan([]);
    if (plan.size === 0) return;
    try {
      await this.d.lock.run(async () => {
        if (state.dropped) return;
        await this.d.writer.write({ target: undefined, steps: [], offsets: offsetWrites(state, plan), deadLetter: async () => undefined });
        state.tracker.markCommitted(plan);
        this.afterCommit(state, plan);
      });
    } catch (err) {
      if (isFenced(err)) await this.d.fenced(state);
      else if (force) this.d.log.warn({ err }, 'final offsets commit failed; the records are re-read on restart');
      else this.d.health.set('pg', false);
    }
  }

  private afterCommit(state: AssignmentState, plan: Map<TopicPartitionKey, bigint>): void {
    // Bytes of everything below the committed offsets are released (applied, dead-lettered, skipped).
    state.records.releaseBelow(state.tracker.committedOffsets());
    inflightBytes.set(state.records.bytes);
    for (const tp of [...state.paused]) {
      if (state.records.bytes <= this.d.maxInflightBytes / 2) {
        state.paused.delete(tp);
        const { topic, partition } = tpOf(tp);
        this.d.consumer.resume(topic, [partition], 'memory'); // a table the operator paused stays paused
      }
    }
    this.d.dead.committed(plan);
    void this.d.consumer.commitAdvisory([...plan].map(([tp, offset]) => ({ ...tpOf(tp), offset })));
  }
}

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
