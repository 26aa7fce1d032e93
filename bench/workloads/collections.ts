import type { Change, Workload } from './types.js';
import { prng, uuidFrom, word } from './types.js';

/** Rows with non-frozen collections, written whole (INSERT overwrites each collection). */
export const collections: Workload = {
  name: 'collections',
  table: 'collections',
  description: 'inserts of rows with set<text> (3), list<int> (5), map<text,int> (3) non-frozen collections',
  columns: [
    { name: 'id', cql: 'uuid', kind: 'partition_key' },
    { name: 'name', cql: 'text', kind: 'regular' },
    { name: 'tags', cql: 'set<text>', kind: 'regular' },
    { name: 'scores', cql: 'list<int>', kind: 'regular' },
    { name: 'attrs', cql: 'map<text, int>', kind: 'regular' },
    { name: 'seq', cql: 'bigint', kind: 'regular' },
  ],
  generate(n, seed = 5) {
    const rand = prng(seed);
    const out: Change[] = [];
    for (let i = 0; i < n; i++) {
      const tags = [...new Set([word(rand), word(rand), word(rand)])].sort();
      const attrs = new Map<string, number>();
      for (let j = 0; j < 3; j++) attrs.set(`k${Math.floor(rand() * 10)}`, Math.floor(rand() * 1000));
      out.push({
        seq: i,
        op: 'c',
        key: { id: uuidFrom(rand) },
        cells: {
          name: `${word(rand)}_${i}`,
          tags,
          scores: Array.from({ length: 5 }, () => Math.floor(rand() * 100)),
          attrs: new Map([...attrs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
          seq: i,
        },
      });
    }
    return out;
  },
};
