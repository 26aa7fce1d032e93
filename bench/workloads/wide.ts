import type { Change, ColumnSpec, Workload } from './types.js';
import { BASE_TIME_MS, prng, uuidFrom, word } from './types.js';

const TYPES = ['text', 'int', 'double', 'timestamp', 'boolean', 'bigint'] as const;
/** 50 columns: uuid key, 48 typed columns, seq. */
const columns: ColumnSpec[] = [
  { name: 'id', cql: 'uuid', kind: 'partition_key' },
  ...Array.from({ length: 48 }, (_, i) => ({ name: `c${String(i + 1).padStart(2, '0')}`, cql: TYPES[i % TYPES.length]!, kind: 'regular' as const })),
  { name: 'seq', cql: 'bigint', kind: 'regular' },
];

export const wide: Workload = {
  name: 'wide',
  table: 'wide_rows',
  description: 'inserts of 50-column rows (uuid key, 48 columns of text/int/double/timestamp/boolean/bigint, seq)',
  columns,
  generate(n, seed = 4) {
    const rand = prng(seed);
    const out: Change[] = [];
    for (let i = 0; i < n; i++) {
      const cells: Record<string, unknown> = { seq: i };
      for (const c of columns) {
        if (c.kind !== 'regular' || c.name === 'seq') continue;
        switch (c.cql) {
          case 'text':
            cells[c.name] = `${word(rand)}-${i}`;
            break;
          case 'int':
            cells[c.name] = Math.floor(rand() * 1e6);
            break;
          case 'double':
            cells[c.name] = rand() * 1000;
            break;
          case 'timestamp':
            cells[c.name] = new Date(BASE_TIME_MS + Math.floor(rand() * 1e9));
            break;
          case 'boolean':
            cells[c.name] = rand() < 0.5;
            break;
          case 'bigint':
            cells[c.name] = Math.floor(rand() * 1e12);
            break;
        }
      }
      out.push({ seq: i, op: 'c', key: { id: uuidFrom(rand) }, cells });
    }
    return out;
  },
};
