import { describe, expect, it } from 'vitest';
import { InflightRecords } from '../../../src/sink/inflight-records.js';

const ref = (partition: number, offset: number) => ({ topic: 't', partition, offset: String(offset) });
const msg = (bytes: number) => ({ key: null, value: Buffer.from('v'), headers: {}, timestamp: undefined, bytes });
/** Before any decode returns, a record counts its encoded bytes and 3× them for its decoded form. */
const forecast = (encoded: number) => encoded * 4;

describe('in-flight records', () => {
  it('counts bytes, forgets single records and releases everything below a committed offset', () => {
    const r = new InflightRecords();
    for (let o = 0; o < 5; o++) r.add(ref(0, o), msg(10));
    r.add(ref(1, 7), msg(100));
    expect(r.bytes).toBe(forecast(150));
    r.forget(ref(0, 2)); // dead-lettered
    r.forget(ref(0, 2)); // twice is a no-op
    expect(r.bytes).toBe(forecast(140));
    r.releaseBelow(new Map([['t\u00000', 4n]]));
    expect(r.bytes).toBe(forecast(110)); // offset 4 of partition 0 and partition 1 stay
    expect(r.get(ref(0, 4))?.bytes).toBe(forecast(10));
    expect(r.get(ref(0, 3))).toBeUndefined();
    r.releaseBelow(
      new Map([
        ['t\u00001', 8n],
        ['other\u00000', 9n],
      ]),
    );
    expect(r.bytes).toBe(forecast(10));
    r.clear();
    expect(r.bytes).toBe(0);
  });
});

describe('decoded heap counted with in-flight records', () => {
  it('replaces the forecast by the decoded estimate, releases it with the record, and ignores unknown records', () => {
    const r = new InflightRecords();
    r.add(ref(0, 0), msg(10));
    r.settle(ref(0, 0), 500);
    r.settle(ref(0, 9), 1_000); // already released (or never ours): must not count
    expect(r.bytes).toBe(510);
    expect(r.get(ref(0, 0))?.bytes).toBe(510);
    r.settle(ref(0, 0), 300); // settled again (a retried decode): replaces, never adds
    expect(r.bytes).toBe(310);
    r.releaseBelow(new Map([['t\u00000', 1n]]));
    expect(r.bytes).toBe(0);
  });

  it('learns the decoded/encoded ratio, so later forecasts follow the workload', () => {
    const r = new InflightRecords();
    for (let o = 0; o < 5000; o++) {
      r.add(ref(0, o), msg(100));
      r.settle(ref(0, o), 2_000); // wide rows: 20× their encoded size
    }
    r.add(ref(1, 0), msg(100));
    const forecastNow = r.get(ref(1, 0))!.bytes - 100;
    expect(forecastNow).toBeGreaterThan(1_800);
    expect(forecastNow).toBeLessThanOrEqual(2_000);
  });
});

describe('a record in flight keeps its bytes as consumed', () => {
  it('gives back its key, value, headers and timestamp, from the buffer the views were of', () => {
    const response = Buffer.from('....KEY1VALUE-ONE....key2value-two....');
    const elsewhere = Buffer.from('other-buffer-VALUE');
    const r = new InflightRecords();
    r.add(ref(0, 1), { key: response.subarray(4, 8), value: response.subarray(8, 17), headers: { h: Buffer.from('x') }, timestamp: '1700', bytes: 13 });
    r.add(ref(0, 2), { key: null, value: response.subarray(25, 34), headers: {}, timestamp: undefined, bytes: 9 });
    r.add(ref(0, 3), { key: response.subarray(21, 25), value: elsewhere.subarray(13), headers: {}, timestamp: '1701', bytes: 9 });
    response.write('#', 5); // a view, not a copy: the DLQ sends what the fetch brought
    const one = r.get(ref(0, 1))!;
    expect([one.key!.toString(), one.value!.toString(), one.timestamp]).toEqual(['K#Y1', 'VALUE-ONE', '1700']);
    expect(one.headers).toEqual({ h: Buffer.from('x') });
    const two = r.get(ref(0, 2))!;
    expect([two.key, two.value!.toString(), two.timestamp, two.headers]).toEqual([null, 'value-two', undefined, undefined]);
    const three = r.get(ref(0, 3))!;
    expect([three.key!.toString(), three.value!.toString()]).toEqual(['key2', 'VALUE']);
  });
});
