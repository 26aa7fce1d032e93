/**
 * Limits applied before and around decoding (bounded-decode.ts is the shell): a record whose key
 * and value together exceed SINK_MAX_RECORD_BYTES is dead-lettered without being decoded, and a
 * record whose decoding outlived its time limit or its worker, twice, is dead-lettered as well.
 */
import type { DecodeOutput, RawRecord, WorkerOutput } from './decode-record.js';
import type { RecordFailure, RecordRef } from './types.js';

export const recordBytes = (r: RawRecord) => (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);

export function splitOversized(records: RawRecord[], maxBytes: number): { fit: RawRecord[]; failed: RecordFailure[] } {
  const fit: RawRecord[] = [];
  const failed: RecordFailure[] = [];
  for (const r of records) {
    const n = recordBytes(r);
    if (n <= maxBytes) fit.push(r);
    else
      failed.push({
        ref: r.ref,
        reason: 'too-large',
        stage: 'VALUE_CONVERTER',
        errorClass: 'RecordTooLarge',
        message: `record is ${n} bytes (key + value), above SINK_MAX_RECORD_BYTES ${maxBytes}; not decoded`,
      });
  }
  return { fit, failed };
}

export function decodeFailure(ref: RecordRef, err: unknown): RecordFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  return { ref, reason: 'decode-failed', stage: 'VALUE_CONVERTER', errorClass: e.name, message: `decoding failed twice (time limit or worker lost): ${e.message}` };
}

/** Outputs of jobs over disjoint record sets, as one. */
export function mergeOutputs(parts: DecodeOutput[]): DecodeOutput {
  const out: DecodeOutput = { changes: [], failed: [], skipped: 0 };
  for (const p of parts) {
    for (const c of p.changes) out.changes.push(c);
    for (const f of p.failed) out.failed.push(f);
    out.skipped += p.skipped;
  }
  return out;
}

/** A worker's output with each change's ref taken from its record in the job (`records`, as sent). */
export function withRefs(out: WorkerOutput, records: RawRecord[]): DecodeOutput {
  const changes = out.changes.map(({ at, ...c }) => ({ ...c, ref: records[at]!.ref }));
  return { changes, failed: out.failed, skipped: out.skipped };
}
