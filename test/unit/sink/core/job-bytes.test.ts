import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../../src/sink/core/decode-record.js';
import { jobBytes } from '../../../../src/sink/core/job-bytes.js';

/** Records as kafkajs hands them out: views into one large fetch response. */
function fetched(): { response: Buffer; records: RawRecord[] } {
  const response = Buffer.alloc(1 << 20, 7);
  const records: RawRecord[] = [0, 1, 2].map((i) => ({
    ref: { topic: 't', partition: 0, offset: String(i) },
    key: i === 1 ? null : response.subarray(i * 100, i * 100 + 10),
    value: response.subarray(i * 100 + 10, i * 100 + 60 + i),
  }));
  records[2]!.value![0] = 42;
  return { response, records };
}

describe("a decode job's bytes", () => {
  it('are the same bytes, in one buffer of their own, the originals untouched', () => {
    const { response, records } = fetched();
    const job = jobBytes(records);
    expect(job.buffer.byteLength).toBe(173); // 10 + 50 + 51 + 10 + 52
    job.records.forEach((r, i) => {
      expect(r.ref).toBe(records[i]!.ref);
      expect(r.key === null ? null : Buffer.from(r.key)).toEqual(records[i]!.key === null ? null : Buffer.from(records[i]!.key!));
      expect(Buffer.from(r.value!)).toEqual(Buffer.from(records[i]!.value!));
      expect(r.value!.buffer).toBe(job.buffer);
    });
    expect(job.records[2]!.value![0]).toBe(42);
    expect(records[0]!.value!.buffer).toBe(response.buffer);
  });

  it("cost a clone of the job's own bytes, not of the whole fetch response the records are views of", () => {
    // structuredClone is the clone postMessage does: a view brings the whole ArrayBuffer behind it.
    const { records } = fetched();
    expect(structuredClone(records)[0]!.value!.buffer.byteLength).toBe(1 << 20);
    const job = jobBytes(records);
    expect(structuredClone(job.records)[0]!.value!.buffer.byteLength).toBe(173);
    // Transferred, it is moved: the sender's buffer is detached, nothing is copied.
    const moved = structuredClone(job, { transfer: [job.buffer] });
    expect(job.buffer.byteLength).toBe(0);
    expect(moved.records[0]!.value!.buffer).toBe(moved.buffer);
  });
});
