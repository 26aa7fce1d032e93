import { describe, expect, it } from 'vitest';
import { InflightRecords } from '../../../src/sink/inflight-records.js';

const ref = (partition: number, offset: number) => ({ topic: 't', partition, offset: String(offset) });
const msg = (bytes: number) => ({ key: null, value: Buffer.from('v'), headers: {}, timestamp: undefined, bytes });

describe('in-flight records', () => {
  it('counts bytes, forgets single records and releases everything below a committed offset', () => {
    const r = new InflightRecords();
    for (let o = 0; o < 5; o++) r.add(ref(0, o), msg(10));
    r.add(ref(1, 7), msg(100));
    expect(r.bytes).toBe(150);
    r.forget(ref(0, 2)); // dead-lettered
    r.forget(ref(0, 2)); // twice is a no-op
    expect(r.bytes).toBe(140);
    r.releaseBelow(new Map([['t\u00000', 4n]]));
    expect(r.bytes).toBe(110); // offset 4 of partition 0 and partition 1 stay
    expect(r.get(ref(0, 4))?.bytes).toBe(10);
    expect(r.get(ref(0, 3))).toBeUndefined();
    r.releaseBelow(new Map([['t\u00001', 8n], ['other\u00000', 9n]]));
    expect(r.bytes).toBe(10);
    r.clear();
    expect(r.bytes).toBe(0);
  });
});
