/**
 * Sends dead letters once each. A batch retried after its dead letters were acked must not send
 * them again, so the acked offsets are remembered per partition until a commit moves past them
 * (they outlive a rebalance, as the records they name may be re-read and fail again).
 */
import type { Logger } from '../log/logger.js';
import { dlqRecords } from '../metrics/sink-metrics.js';
import { tpKey, type TopicPartitionKey } from './core/offset-tracker.js';
import type { RecordFailure } from './core/types.js';
import type { DeadLetter, DlqProducer } from './dlq-producer.js';
import type { InflightRecords } from './inflight-records.js';

export class DeadLetters {
  private readonly sent = new Map<TopicPartitionKey, Set<bigint>>();
  /** Dead letters per reason since start (the status page's `dlq`). */
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly producer: DlqProducer,
    private readonly log: Logger,
  ) {}

  /** Produces the dead letters (original bytes from `records`) and resolves once acked. */
  async send(failures: RecordFailure[], records: InflightRecords): Promise<void> {
    const letters: DeadLetter[] = [];
    for (const f of failures) {
      if (this.sent.get(tpKey(f.ref.topic, f.ref.partition))?.has(BigInt(f.ref.offset))) continue; // acked during an earlier attempt
      const m = records.get(f.ref);
      letters.push({ failure: f, key: m?.key ?? null, value: m?.value ?? null, headers: m?.headers ?? {}, timestamp: m?.timestamp });
    }
    if (letters.length === 0) return;
    await this.producer.send(letters);
    for (const { failure: f } of letters) {
      const tp = tpKey(f.ref.topic, f.ref.partition);
      let offsets = this.sent.get(tp);
      if (!offsets) this.sent.set(tp, (offsets = new Set()));
      offsets.add(BigInt(f.ref.offset));
      dlqRecords.inc({ reason: f.reason });
      this.counts[f.reason] = (this.counts[f.reason] ?? 0) + 1;
      this.log.warn({ topic: f.ref.topic, partition: f.ref.partition, offset: f.ref.offset, reason: f.reason, stage: f.stage, msg: f.message }, 'record dead-lettered');
    }
  }

  /** Committed past: those records are never re-read, so their marks can go. */
  committed(plan: ReadonlyMap<TopicPartitionKey, bigint>): void {
    for (const [tp, next] of plan) {
      const offsets = this.sent.get(tp);
      if (!offsets) continue;
      for (const o of offsets) if (o < next) offsets.delete(o);
      if (offsets.size === 0) this.sent.delete(tp);
    }
  }
}
