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
