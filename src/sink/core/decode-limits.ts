/**
 * Limits applied before and around decoding (bounded-decode.ts is the shell): a record whose key
 * and value together exceed SINK_MAX_RECORD_BYTES is dead-lettered without being decoded, and a
 * record whose decoding outlived its time limit or its worker, twice, is dead-lettered as well.
 */
import type { DecodeOutput, RawRecord, WorkerOutput } from './decode-record.js';
import type { ClaimedChange } from './packed-change.js';
import type { ApplyKind, RecordFailure, RecordRef } from './types.js';

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

/**
 * A worker's output with each change's and failure's ref taken from its record in the job
 * (`records`, as sent). Each change is built anew, field by field, with its kind as this thread's
 * own constant: it lives until its batch commits, and the cloned kind would be one more string per
 * change for the collector to copy and promote (docs/sink.md, "Memory").
 */
export function withRefs(out: WorkerOutput, records: RawRecord[]): DecodeOutput {
  const changes = out.changes.map((c): ClaimedChange => ({
    ref: records[c.at]!.ref,
    kind: ownKind(c.kind),
    bytes: c.bytes,
    schemaIds: c.schemaIds,
    table: c.table,
    claimed: c.claimed,
    body: c.body,
  }));
  const failed = out.failed.map(({ at, ...f }): RecordFailure => ({ ...f, ref: records[at]!.ref }));
  return { changes, failed, skipped: out.skipped };
}

const KINDS: Record<ApplyKind, ApplyKind> = { upsert: 'upsert', delete: 'delete', partition_delete: 'partition_delete', range_delete: 'range_delete', static_row: 'static_row' };
const ownKind = (k: ApplyKind): ApplyKind => KINDS[k] ?? k;
