/**
 * The fetched-but-uncommitted records of the sink: their original bytes (kept for the DLQ, which
 * must carry the record exactly as consumed) and their size, the bound of SINK_MAX_INFLIGHT_BYTES.
 *
 * Per partition, records are kept in offset order (a Map keeps insertion order, and intake only
 * ever appends higher offsets), so releasing everything below a committed offset walks only the
 * released records — not every record in flight on every commit, as a single map would.
 */
import type { IHeaders } from 'kafkajs';
import { tpKey } from './core/offset-tracker.js';
import type { RecordRef } from './core/types.js';

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string | undefined;
  bytes: number;
}

const tpOfRef = (r: RecordRef) => tpKey(r.topic, r.partition);

export class InflightRecords {
  private readonly byPartition = new Map<string, Map<bigint, RawMessage>>();
  private total = 0;

  get bytes(): number {
    return this.total;
  }

  add(ref: RecordRef, m: RawMessage): void {
    const tp = tpOfRef(ref);
    let records = this.byPartition.get(tp);
    if (!records) this.byPartition.set(tp, (records = new Map()));
    records.set(BigInt(ref.offset), m);
    this.total += m.bytes;
  }

  get(ref: RecordRef): RawMessage | undefined {
    return this.byPartition.get(tpOfRef(ref))?.get(BigInt(ref.offset));
  }

  /** Applied or dead-lettered: its bytes no longer count. */
  forget(ref: RecordRef): void {
    const records = this.byPartition.get(tpOfRef(ref));
    const offset = BigInt(ref.offset);
    const m = records?.get(offset);
    if (m) {
      records!.delete(offset);
      this.total -= m.bytes;
    }
  }

  /** Drops every record below its partition's committed offset (keys as `topic\0partition`). */
  releaseBelow(committed: ReadonlyMap<string, bigint>): void {
    for (const [tp, next] of committed) {
      const records = this.byPartition.get(tp);
      if (!records) continue;
      for (const [offset, m] of records) {
        if (offset >= next) break;
        records.delete(offset);
        this.total -= m.bytes;
      }
    }
  }

  clear(): void {
    this.byPartition.clear();
    this.total = 0;
  }
}
