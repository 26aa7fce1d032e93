/**
 * A transaction's records, Avro-encoded as they are built: a window streams page by page into
 * batches of at most SOURCE_MAX_BATCH_RECORDS, and only the Kafka messages (bytes) wait for the
 * commit, not the log rows or the envelope objects they came from.
 */
import type { Message } from 'kafkajs';
import type { EnvelopeOp, SourceRecord } from './core/build-envelope.js';
import { partitionFor } from './core/murmur2.js';
import type { InflightBytes } from './inflight-bytes.js';
import type { TableCodec } from './schema-publisher.js';

/** What encoding a table's records takes (a TableRuntime has it). */
interface TableTarget {
  codec: TableCodec;
  partitions: number;
}

export class RecordBatch {
  readonly messages: Message[] = [];
  /** Records per envelope op (the replicated-records counter, once committed). */
  readonly ops = new Map<EnvelopeOp, number>();
  /** Key + value bytes, counted in `inflight` until `release`. */
  bytes = 0;
  private released = false;

  constructor(private readonly inflight?: InflightBytes) {}

  static of(rt: TableTarget, records: readonly SourceRecord[], inflight?: InflightBytes): RecordBatch {
    const b = new RecordBatch(inflight);
    for (const rec of records) b.add(rt, rec);
    return b;
  }

  add(rt: TableTarget, rec: SourceRecord): void {
    const key = rt.codec.encodeKey(rec.key);
    const value = rt.codec.encodeValue(rec.value);
    this.messages.push({ key, value, partition: partitionFor(rt.codec.partitionKeyBytes(rec.partitionKey), rt.partitions) });
    this.ops.set(rec.op, (this.ops.get(rec.op) ?? 0) + 1);
    this.bytes += key.length + value.length;
    this.inflight?.add(key.length + value.length);
  }

  /** Committed or abandoned: its bytes no longer count (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.inflight?.release(this.bytes);
  }

  get length(): number {
    return this.messages.length;
  }
}
