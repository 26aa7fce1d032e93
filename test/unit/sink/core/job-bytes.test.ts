import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../../src/sink/core/decode-record.js';
import { jobBytes, jobRecords } from '../../../../src/sink/core/job-bytes.js';

/** Records as kafkajs hands them out: views into one large fetch response. */
function fetched(): { response: Buffer; records: RawRecord[] } {
  const response = Buffer.alloc(1 << 20, 7);
  const records: RawRecord[] = [0, 1, 2, 3].map((i) => ({
    ref: { topic: 't', partition: 0, offset: String(i) },
    key: i === 1 ? null : i === 3 ? response.subarray(0, 0) : response.subarray(i * 100, i * 100 + 10),
    value: i === 3 ? null : response.subarray(i * 100 + 10, i * 100 + 60 + i),
  }));
  records[2]!.value![0] = 42;
  return { response, records };
}

const bytesOf = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b));

describe("a decode job's bytes", () => {
  it('are the same bytes, in one buffer of their own, read back in order with their nulls; the originals untouched', () => {
    const { response, records } = fetched();
    const job = jobBytes(records);
    expect(job.buffer.byteLength).toBe(173); // 10 + 50 + 51 + 10 + 52 (+ an empty key)
    expect([...job.lengths]).toEqual([10, 50, -1, 51, 10, 52, 0, -1]);
    const back = jobRecords(job);
    expect(back).toHaveLength(4);
    back.forEach((r, i) => {
      expect(bytesOf(r.key)).toEqual(bytesOf(records[i]!.key));
      expect(bytesOf(r.value)).toEqual(bytesOf(records[i]!.value));
      if (r.value) expect(r.value.buffer).toBe(job.buffer);
    });
    expect(back[2]!.value![0]).toBe(42);
    expect(records[0]!.value!.buffer).toBe(response.buffer);
  });

  it("cost a move of the job's own bytes, not a clone of the whole fetch response the records are views of", () => {
    // structuredClone is the clone postMessage does: a view brings the whole ArrayBuffer behind it.
    const { records } = fetched();
    expect(structuredClone(records)[0]!.value!.buffer.byteLength).toBe(1 << 20);
    const job = jobBytes(records);
    // Transferred, it is moved: the sender's buffers are detached, nothing is copied.
    const moved = structuredClone(job, { transfer: [job.buffer, job.lengths.buffer as ArrayBuffer] });
    expect(job.buffer.byteLength).toBe(0);
    expect(job.lengths.length).toBe(0);
    expect(moved.buffer.byteLength).toBe(173);
    expect(bytesOf(jobRecords(moved)[2]!.value)).toEqual(bytesOf(records[2]!.value));
  });
});
