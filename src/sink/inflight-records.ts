/**
 * The fetched-but-uncommitted records of the sink: their original bytes (kept for the DLQ, which
 * must carry the record exactly as consumed) and their size, the bound of SINK_MAX_INFLIGHT_BYTES.
 * A record's size is its encoded bytes plus the heap of its decoded change (core/heap-estimate.ts):
 * what the main thread really holds. At intake the decoded part is not known yet, so it is forecast
 * from the ratio decoded/encoded seen so far (`settle` then replaces the forecast by the estimate):
 * without the forecast, intake would fetch a whole backlog before the first decode returned.
 *
 * Per partition, records are kept in offset order (a Map keeps insertion order, and intake only
 * ever appends higher offsets), so releasing everything below a committed offset walks only the
 * released records — not every record in flight on every commit, as a single map would.
 */
import type { IHeaders } from 'kafkajs';
import { tpOf } from './core/offset-tracker.js';
import type { RecordRef } from './core/types.js';

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Absent when the record has none. */
  headers?: IHeaders;
  timestamp: string | undefined;
  /** Encoded size (key + value + overhead), set by the caller. */
  bytes: number;
}

/**
 * A record in flight. Its key and value are kept as the buffers they were views of and their
 * places in them, not as the views: kafkajs gives every record two views of its fetch response,
 * two objects per record that lived from intake to commit, long enough for every young-generation
 * collection to copy them and then promote them (docs/sink.md, "Memory"). The buffer is the same
 * one object for all records of a fetch, and the response stays held exactly as the views held it.
 */
interface Entry {
  keyBuf: ArrayBufferLike | null;
  keyAt: number;
  keyLen: number;
  valueBuf: ArrayBufferLike | null;
  valueAt: number;
  valueLen: number;
  headers: IHeaders | undefined;
  timestamp: string | undefined;
  bytes: number;
  /** The forecast, then the estimate, of the decoded change's heap: part of `bytes`. */
  decoded: number;
}

const view = (buf: ArrayBufferLike | null, at: number, len: number): Buffer | null => (buf === null ? null : Buffer.from(buf, at, len));

/** Decoded heap per encoded byte assumed before any decode has returned (users-shaped rows, packed: ~2). */
const INITIAL_RATIO = 3;

/**
 * Offsets as numbers, exact below 2^53 (a partition appending a million records a second reaches
 * that in 285 years). Every record passes here three or four times (add, settle, forget or release),
 * and a profile of a 200k-change backlog put a tenth of the main thread in this class when the keys
 * were bigints under `topic\0partition` strings: both cost an allocation and a hash per call.
 */
type PartitionRecords = Map<number, Entry>;

/**
 * kafkajs gives every message a headers object, nearly always empty; an entry keeps it only when it
 * holds a header: one object less per record in flight for the collector to copy and promote.
 */
function nonEmpty(h: IHeaders | undefined): IHeaders | undefined {
  for (const _ in h) return h;
  return undefined;
}

export class InflightRecords {
  /** topic → partition number → its records in offset order. */
  private readonly byTopic = new Map<string, PartitionRecords[]>();
  private total = 0;
  private ratio = INITIAL_RATIO;

  get bytes(): number {
    return this.total;
  }

  add(ref: RecordRef, m: RawMessage): void {
    let partitions = this.byTopic.get(ref.topic);
    if (!partitions) this.byTopic.set(ref.topic, (partitions = []));
    const records = (partitions[ref.partition] ??= new Map());
    const decoded = Math.round(m.bytes * this.ratio);
    const bytes = m.bytes + decoded;
    const { key, value } = m;
    records.set(Number(ref.offset), {
      keyBuf: key === null ? null : key.buffer,
      keyAt: key === null ? 0 : key.byteOffset,
      keyLen: key === null ? 0 : key.byteLength,
      valueBuf: value === null ? null : value.buffer,
      valueAt: value === null ? 0 : value.byteOffset,
      valueLen: value === null ? 0 : value.byteLength,
      headers: nonEmpty(m.headers),
      timestamp: m.timestamp,
      bytes,
      decoded,
    });
    this.total += bytes;
  }

  /**
   * The decoded change's estimated heap replaces the forecast; the ratio learns from it (a moving
   * average, so a workload of wide or collection rows adapts within a few thousand records).
   * Records no longer in flight are ignored.
   */
  settle(ref: RecordRef, decodedBytes: number): void {
    const m = this.partition(ref.topic, ref.partition)?.get(Number(ref.offset));
    if (!m) return;
    const encoded = m.bytes - m.decoded;
    this.ratio += (decodedBytes / Math.max(1, encoded) - this.ratio) / 1024;
    m.bytes = encoded + decodedBytes;
    this.total += decodedBytes - m.decoded;
    m.decoded = decodedBytes;
  }

  /** The record as consumed (its bytes are views of the buffer they came in), or undefined when no longer in flight. */
  get(ref: RecordRef): RawMessage | undefined {
    const e = this.partition(ref.topic, ref.partition)?.get(Number(ref.offset));
    if (!e) return undefined;
    const m: RawMessage = { key: view(e.keyBuf, e.keyAt, e.keyLen), value: view(e.valueBuf, e.valueAt, e.valueLen), timestamp: e.timestamp, bytes: e.bytes };
    if (e.headers) m.headers = e.headers;
    return m;
  }

  /** Applied or dead-lettered: its bytes no longer count. */
  forget(ref: RecordRef): void {
    const records = this.partition(ref.topic, ref.partition);
    const offset = Number(ref.offset);
    const m = records?.get(offset);
    if (m) {
      records!.delete(offset);
      this.total -= m.bytes;
    }
  }

  /** Drops every record below its partition's committed offset (keys as `topic\0partition`). */
  releaseBelow(committed: ReadonlyMap<string, bigint>): void {
    for (const [tp, next] of committed) {
      const { topic, partition } = tpOf(tp);
      const records = this.partition(topic, partition);
      if (!records) continue;
      const below = Number(next);
      for (const [offset, m] of records) {
        if (offset >= below) break;
        records.delete(offset);
        this.total -= m.bytes;
      }
    }
  }

  clear(): void {
    this.byTopic.clear();
    this.total = 0;
  }

  private partition(topic: string, partition: number): PartitionRecords | undefined {
    return this.byTopic.get(topic)?.[partition];
  }
}
