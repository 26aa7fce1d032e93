import { describe, expect, it } from 'vitest';
import { changeHeapBytes } from '../../../src/sink/core/heap-estimate.js';
import type { RowChange } from '../../../src/sink/core/types.js';

const change = (cells: RowChange['cells']): RowChange => ({
  ref: { topic: 'cdc.scylla.users', partition: 3, offset: '123456' },
  kind: 'upsert',
  op: 'u',
  key: ['5b6962dd-3f90-4c93-8f61-eabfb69b8c77'],
  cells,
  tsUs: '1764460800000000',
  seq: 0,
  bytes: 120,
});

describe('heap estimate of a decoded change', () => {
  it('is several times the encoded size, as V8 objects are (the reason the bound counts it)', () => {
    const c = change({ name: { m: 'set', value: 'Ada Lovelace' }, email: { m: 'set', value: 'ada@example.com' }, city: { m: 'set', value: null } });
    const n = changeHeapBytes(c);
    expect(n).toBeGreaterThan(5 * c.bytes);
    expect(n).toBeLessThan(20 * c.bytes);
  });

  it('grows with the length of every rendered value, cell and key', () => {
    const small = changeHeapBytes(change({ a: { m: 'set', value: 'x' } }));
    const longer = changeHeapBytes(change({ a: { m: 'set', value: 'x'.repeat(1001) } }));
    expect(longer - small).toBe(1000);
    const delta = changeHeapBytes(change({ a: { m: 'modify', add: '{1,2}', remove: '{3}' } }));
    const withList = changeHeapBytes(change({ a: { m: 'modify', add: '{1,2}', remove: '{3}', listKeys: '{k1,k2}' } }));
    expect(withList - delta).toBe(24 + '{k1,k2}'.length);
    const ranged = changeHeapBytes({ ...change({}), range: { start: { values: ['abc'], inclusive: true }, end: { values: [], inclusive: false } } });
    expect(ranged - changeHeapBytes(change({}))).toBe(16 + 24 + 3);
  });
});
