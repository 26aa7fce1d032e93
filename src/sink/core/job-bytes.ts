/**
 * A decode job as it crosses to a worker: every record's key and value bytes copied into one
 * ArrayBuffer of its own, and their lengths in an Int32Array (-1 = null), both *transferred* to the
 * worker instead of cloned. No per-record object crosses: the worker rebuilds views of the bytes
 * (`jobRecords`), and what it posts back names a record by its index in the job (decode-limits.ts
 * `withRefs` puts the refs back).
 *
 * Why (docs/sink.md, "Memory"): kafkajs hands out each record's key and value as views into the
 * whole fetch response, and the structured clone of a view copies the ArrayBuffer behind it, whole:
 * every job copied the response of the entire fetch into its worker. Sending the records as objects
 * (a ref with its topic and offset strings, two views) also cost the main thread a serialization
 * per record and the worker as many objects to build: 4 % of the main thread's profile on `users`.
 * The originals stay where they are (the dead-letter queue sends them as consumed); a retried job
 * copies them again.
 */

/** A record's bytes as kafkajs gives them (decode-record.ts RawRecord adds its ref). */
export interface RecordBytes {
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export interface JobBytes {
  buffer: ArrayBuffer;
  /** Per record: key length, then value length; -1 for a null key or value. */
  lengths: Int32Array;
}

export function jobBytes(records: readonly RecordBytes[]): JobBytes {
  let total = 0;
  for (const r of records) total += (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
  const buffer = new ArrayBuffer(total);
  const all = new Uint8Array(buffer);
  const lengths = new Int32Array(records.length * 2);
  let at = 0;
  let i = 0;
  const copy = (b: Uint8Array | null) => {
    if (b === null) lengths[i++] = -1;
    else {
      all.set(b, at);
      at += b.byteLength;
      lengths[i++] = b.byteLength;
    }
  };
  for (const r of records) {
    copy(r.key);
    copy(r.value);
  }
  return { buffer, lengths };
}

/** The records of a job, as views of its buffer, in job order (the worker's side of `jobBytes`). */
export function jobRecords(job: JobBytes): RecordBytes[] {
  const out: RecordBytes[] = [];
  let at = 0;
  const view = (n: number): Uint8Array | null => {
    if (n < 0) return null;
    at += n;
    return new Uint8Array(job.buffer, at - n, n);
  };
  for (let i = 0; i < job.lengths.length; i += 2) {
    const key = view(job.lengths[i]!);
    out.push({ key, value: view(job.lengths[i + 1]!) });
  }
  return out;
}
