/**
 * The process-wide count of uncommitted record bytes (SOURCE_MAX_INFLIGHT_BYTES): a slot waiting
 * for it is let go only once releases bring it under the limit, and a record batch counts its
 * bytes from the first record until it is released, once.
 */
import { describe, expect, it } from 'vitest';
import { InflightBytes } from '../../../src/source/inflight-bytes.js';
import { RecordBatch } from '../../../src/source/record-batch.js';

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('InflightBytes', () => {
  it('lets a waiter go only once the count is under the limit', async () => {
    const b = new InflightBytes(100);
    b.add(150);
    let woke = false;
    const waiting = b.below().then(() => (woke = true));
    b.release(40); // 110: still over
    await turns();
    expect(woke).toBe(false);
    b.release(20); // 90
    await waiting;
    expect(woke).toBe(true);
  });

  it('counts a batch from its first record until it is released, once', () => {
    const inflight = new InflightBytes(1 << 20);
    const codec = { encodeKey: () => Buffer.alloc(3), encodeValue: () => Buffer.alloc(10), partitionKeyBytes: () => Buffer.alloc(1) };
    const target = { codec, partitions: 6 } as unknown as Parameters<RecordBatch['add']>[0];
    const rec = { table: 'ks.t', op: 'c', key: {}, partitionKey: {}, value: {}, tsMicros: 0 } as const;
    const batch = RecordBatch.of(target, [rec, rec], inflight);
    expect([batch.length, batch.bytes, inflight.bytes]).toEqual([2, 26, 26]);
    batch.release();
    batch.release();
    expect(inflight.bytes).toBe(0);
  });
});
