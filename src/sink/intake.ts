/**
 * Intake: a fetched Kafka batch → its schemas from the registry → a decode job on the workers →
 * routed, in submission order, into per-table batches (or dead letters). Closed table batches go to
 * the flusher. Everything is done against the AssignmentState current when the fetch arrived; work
 * of a dropped state discards itself.
 */
import type { Batch } from 'kafkajs';
import { backoffMs } from '../core/backoff.js';
import type { Logger } from '../log/logger.js';
import { batchPhaseSeconds, inflightBytes, keyOnlyRecords, retries } from '../metrics/sink-metrics.js';
import type { TableBatch } from './core/batcher.js';
import type { DecodeOutput, RawRecord } from './core/decode-record.js';
import { tpKey, tpOf, type TopicPartitionKey } from './core/offset-tracker.js';
import { changeHeapBytes } from './core/heap-estimate.js';
import { routeByTopic } from './core/topic-target.js';
import { readWireHeader } from './core/wire-format.js';
import type { AssignmentState } from './assignment-state.js';
import type { BoundedDecoder } from './bounded-decode.js';
import type { DeadLetters } from './dead-letters.js';
import type { KafkaConsumer } from './kafka-consumer.js';
import type { OffsetGuard } from './offset-guard.js';
import { sleep, type Retrier } from './retrier.js';
import type { SchemaFetcher } from './schema-fetcher.js';
import type { SinkHealth } from './sink-health.js';

export interface IntakeDeps {
  log: Logger;
  topicTemplate: string;
  maxInflightBytes: number;
  retryMaxMs: number;
  consumer: Pick<KafkaConsumer, 'pause' | 'seek'>;
  /** Whether the operator paused this topic's table (`scylla-pg-cdc pause`). */
  tablePaused: (topic: string) => boolean;
  guard: OffsetGuard;
  fetcher: SchemaFetcher;
  decoder: BoundedDecoder;
  dead: DeadLetters;
  retry: Retrier;
  health: SinkHealth;
  state: () => AssignmentState;
  running: () => boolean;
  draining: () => boolean;
  /** A table batch closed (size or schema change): hand it to the flusher. */
  ready: (state: AssignmentState, batch: TableBatch) => void;
  /** A fetch was routed (or given up) and no longer counts as on its way: the flusher may close batches or commit offsets. */
  routed: () => void;
}

const empty = (): DecodeOutput => ({ changes: [], failed: [], skipped: 0 });

export class Intake {
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly d: IntakeDeps) {}

  /** The consumer's eachBatch. */
  onBatch(batch: Batch, heartbeat: () => Promise<void>): Promise<void> {
    const p = this.intake(batch, heartbeat).finally(() => this.active.delete(p));
    this.active.add(p);
    return p;
  }

  /** Resolves once every fetch taken so far is decoded and routed. */
  async idle(): Promise<void> {
    await Promise.allSettled(this.active); // a failed fetch is re-read; draining only waits for it
    await this.d.state().routed;
  }

  private async intake(batch: Batch, heartbeat: () => Promise<void>): Promise<void> {
    if (this.d.draining()) return;
    const state = this.d.state();
    const tp = tpKey(batch.topic, batch.partition);
    const next = state.fetched.get(tp);
    if (next === undefined) return; // not (or no longer) ours: re-fetched after the next assignment
    if (this.d.tablePaused(batch.topic)) {
      // Fetched before the pause reached the consumer: not taken, and nothing of it is committed.
      // kafkajs moves its position past a handed-out batch, so put it back on the first record not
      // taken (the resume seeks there again): otherwise the resumed fetch would skip this batch.
      this.d.consumer.pause(batch.topic, [batch.partition], 'operator');
      this.d.consumer.seek(batch.topic, batch.partition, next);
      return;
    }
    // kafkajs moved its fetch position past ours by itself (OFFSET_OUT_OF_RANGE: records removed
    // before we read them): report the gap, or hold the partition under SINK_OFFSET_RESET=fail.
    const fetchedAt = BigInt((batch as Batch & { fetchedOffset?: string }).fetchedOffset ?? next);
    if (fetchedAt > next && (await this.d.guard.onJump(batch.topic, batch.partition, next, fetchedAt)) === 'hold') {
      if (state.dropped) return;
      state.fetched.delete(tp);
      this.d.consumer.pause(batch.topic, [batch.partition], 'held');
      return;
    }
    if (state.dropped) return;
    const records: RawRecord[] = [];
    for (const m of batch.messages) {
      if (BigInt(m.offset) < next) continue; // already applied, or fetched before our seek landed
      const ref = { topic: batch.topic, partition: batch.partition, offset: m.offset };
      const size = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
      records.push({ ref, key: m.key, value: m.value });
      state.records.add(ref, { key: m.key, value: m.value, headers: m.headers ?? {}, timestamp: m.timestamp, bytes: size });
    }
    const last = BigInt(batch.lastOffset()) + 1n;
    if (last <= next) return;
    state.fetched.set(tp, last);
    const t0 = performance.now();
    const schemas = await this.schemasFor(records, heartbeat);
    if (state.dropped) return;
    inflightBytes.set(state.records.bytes);
    state.decoding++;
    const result = this.decodeWithRetry(records, schemas, state).then((out) => {
      batchPhaseSeconds.observe({ phase: 'decode' }, (performance.now() - t0) / 1000);
      return out;
    });
    // Counted until routed, not only decoded: a decoded fetch waiting for its turn to route is still
    // on its way into the open batches, which the flusher must not close early under it. The flusher
    // is woken after the count drops: woken before, it saw this fetch still on its way and left the
    // batches it had just filled to wait for their age (SINK_BATCH_MAX_WAIT_MS) with nothing coming.
    state.routed = state.routed
      .then(() => result)
      .then((out) => this.route(state, tp, last, out))
      .catch((err: unknown) => this.d.log.warn({ err }, 'routing a decoded batch failed; its records are re-read after a restart or rebalance'))
      .finally(() => {
        state.decoding--;
        this.d.routed();
      });
    this.pauseIfOverBudget(state, tp);
  }

  /** Above SINK_MAX_INFLIGHT_BYTES (encoded + decoded bytes) a partition stops fetching until commits release memory. */
  private pauseIfOverBudget(state: AssignmentState, tp: TopicPartitionKey): void {
    inflightBytes.set(state.records.bytes);
    if (state.records.bytes <= this.d.maxInflightBytes || state.paused.has(tp) || !state.fetched.has(tp)) return;
    state.paused.add(tp);
    const { topic, partition } = tpOf(tp);
    this.d.consumer.pause(topic, [partition], 'memory');
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
      const step = { stage: 'registry', health: 'registry' as const, onFail: () => heartbeat().catch(() => undefined) };
      const text = await this.d.retry.run(step, async () => {
        const t = await this.d.fetcher.get(id);
        this.d.health.set('registry', true);
        return t;
      });
      if (text !== null) out[id] = text;
    }
    return out;
  }

  private async decodeWithRetry(records: RawRecord[], schemas: Record<number, string>, state: AssignmentState): Promise<DecodeOutput> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.d.decoder.run(records, schemas, state.cancelled);
      } catch (err) {
        if (state.dropped || !this.d.running()) return empty();
        retries.inc({ stage: 'decode' });
        this.d.log.error({ err, attempt }, 'decode worker failed; retrying the job');
        await sleep(backoffMs(attempt, this.d.retryMaxMs));
      }
    }
  }

  private async route(state: AssignmentState, tp: TopicPartitionKey, next: bigint, decoded: DecodeOutput): Promise<void> {
    if (state.dropped || !this.d.running()) return;
    const out = routeByTopic(decoded, this.d.topicTemplate);
    if (out.skipped > 0) keyOnlyRecords.inc(out.skipped);
    if (out.failed.length > 0) {
      // Dead letters for undecodable records are acked before anything after them is routed, so
      // no later commit can move the offset past a record that is neither applied nor dead-lettered.
      await this.d.retry.run({ stage: 'dlq', health: 'kafka' }, () => this.d.dead.send(out.failed, state.records));
      if (state.dropped) return;
      for (const f of out.failed) state.records.forget(f.ref);
    }
    const now = Date.now();
    const lane = state.lanes.get(tp) ?? 0;
    for (const change of out.changes) {
      state.records.settle(change.ref, changeHeapBytes(change));
      const { batchId, ready } = state.batcher.add(change, now, lane);
      state.tracker.hold(batchId, tp, BigInt(change.ref.offset));
      for (const r of ready) this.d.ready(state, r.batch);
    }
    state.tracker.route(tp, next);
    this.pauseIfOverBudget(state, tp);
  }
}
