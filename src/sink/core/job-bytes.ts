/**
 * The bytes of a decode job, copied into one ArrayBuffer of their own so the job can *transfer* it
 * to the worker instead of having it cloned.
 *
 * Why: kafkajs hands out each record's key and value as views into the whole fetch response. The
 * structured clone of a view copies the ArrayBuffer behind it, whole: every job (one partition's
 * records) copied the response of the entire fetch (all partitions, up to a sixteenth of
 * SINK_MAX_INFLIGHT_BYTES) into its worker, a few MiB per job, allocated and freed by malloc in the
 * worker threads, whose arenas grew with it (docs/sink.md, "Memory"). Here a job costs one copy of
 * its own records' bytes, moved to the worker without a second copy. The originals stay where they
 * are (the dead-letter queue sends them as consumed), and a retried job copies them again.
 */
import type { RawRecord } from './decode-record.js';

export function jobBytes(records: RawRecord[]): { records: RawRecord[]; buffer: ArrayBuffer } {
  let total = 0;
  for (const r of records) total += (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
  const buffer = new ArrayBuffer(total);
  const all = new Uint8Array(buffer);
  let at = 0;
  const copy = (b: Uint8Array | null): Uint8Array | null => {
    if (b === null) return null;
    all.set(b, at);
    at += b.byteLength;
    return all.subarray(at - b.byteLength, at);
  };
  return { records: records.map((r) => ({ ref: r.ref, key: copy(r.key), value: copy(r.value) })), buffer };
}
