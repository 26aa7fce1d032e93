/**
 * The process-wide count of uncommitted record bytes and unconverted pages (SOURCE_MAX_INFLIGHT_BYTES):
 * a query reserving room for a page is let go only once it fits, and a record batch counts its
 * bytes from the first record until it is released, once.
 */
import { describe, expect, it } from 'vitest';
import { InflightBytes } from '../../../src/source/inflight-bytes.js';
import { RecordBatch } from '../../../src/source/record-batch.js';

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('InflightBytes', () => {
  it('lets a reservation through only once it fits, or once nothing else is counted', async () => {
    const b = new InflightBytes(100);
    b.add(150);
    let got = false;
    const waiting = b.reserve(30).then(() => (got = true));
    b.release(60); // 90: 30 more would not fit
    await turns();
    expect(got).toBe(false);
    b.release(20); // 70 + 30 fits
    await waiting;
    expect([got, b.bytes]).toEqual([true, 100]);
    // a page larger than the limit still goes once nothing else is held
    b.release(100);
    await b.reserve(500);
    expect(b.bytes).toBe(500);
  });

  it('serves waiting reservations in order: a page larger than the limit is not passed by smaller ones', async () => {
    const b = new InflightBytes(100);
    b.add(50);
    const order: string[] = [];
    const big = b.reserve(300).then(() => order.push('big'));
    expect(b.admits(10)).toBe(false); // would fit, but the big one waits first
    const small = b.reserve(10).then(() => order.push('small'));
    b.release(50); // nothing counted: the big one goes, the small one waits behind it
    await big;
    await turns();
    expect([order, b.bytes]).toEqual([['big'], 300]);
    b.release(300);
    await small;
    expect([order, b.bytes]).toEqual([['big', 'small'], 10]);
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
