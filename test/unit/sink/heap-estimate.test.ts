import { describe, expect, it } from 'vitest';
import { changeHeapBytes } from '../../../src/sink/core/heap-estimate.js';
import { packChange } from '../../../src/sink/core/packed-change.js';
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
const held = (cells: RowChange['cells']) => changeHeapBytes(packChange(change(cells), { key: 1, value: 2 }));

describe('heap estimate of a decoded change as the main thread holds it (packed)', () => {
  it('is about twice the encoded size, not the 6–10 times of a RowChange of objects', () => {
    const n = held({ name: { m: 'set', value: 'Ada Lovelace' }, email: { m: 'set', value: 'ada@example.com' }, city: { m: 'set', value: null } });
    expect(n).toBeGreaterThan(2 * 120);
    expect(n).toBeLessThan(5 * 120);
  });

  it('grows with the length of every rendered value, cell and key', () => {
    const small = held({ a: { m: 'set', value: 'x' } });
    const longer = held({ a: { m: 'set', value: 'x'.repeat(1001) } });
    expect(longer - small).toBe(1000);
    const delta = held({ a: { m: 'modify', add: '{1,2}', remove: '{3}' } });
    const withList = held({ a: { m: 'modify', add: '{1,2}', remove: '{3}', listKeys: '{k1,k2}' } });
    expect(withList - delta).toBe(',"listKeys":"{k1,k2}"'.length);
  });
});
