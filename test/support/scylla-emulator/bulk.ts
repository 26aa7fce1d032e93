// Bulk writes without the protocol: each row goes through the same INSERT path (mutation + CDC
// log rows) as a driver INSERT, minus framing and I/O, for benchmarks that need millions of changes.
import type { Engine } from './engine.js';
import { encodeJs } from './storage/js-values.js';
import { quoteIfNeeded } from './schema/types.js';

export interface BulkWriteOptions {
  keyspace: string;
  table: string;
  count: number;
  /** Column values for row i (JS values: numbers, strings, Buffers, arrays, Maps, objects for UDTs). */
  row: (i: number) => Record<string, unknown>;
  /** Write timestamp (µs) for row i; default: the server clock. */
  timestampMicros?: (i: number) => number;
  ttl?: number;
}

export function bulkWrite(engine: Engine, o: BulkWriteOptions): number {
  const table = engine.catalog.table(o.keyspace, o.table);
  const session = { keyspace: o.keyspace };
  const cache = new Map<string, ReturnType<Engine['parse']>>();
  for (let i = 0; i < o.count; i++) {
    const row = o.row(i);
    const cols = Object.keys(row);
    const sig = cols.join(',');
    let parsed = cache.get(sig);
    if (!parsed) {
      const q = `INSERT INTO ${quoteIfNeeded(o.keyspace)}.${quoteIfNeeded(o.table)} (${cols.map(quoteIfNeeded).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})${o.ttl ? ` USING TTL ${o.ttl}` : ''}`;
      parsed = engine.parse(q);
      cache.set(sig, parsed);
    }
    const values = cols.map((c) => {
      const def = table.byName.get(c);
      if (!def) throw new Error(`bulkWrite: unknown column ${c}`);
      return encodeJs(def.type, row[c]);
    });
    const ts = o.timestampMicros?.(i);
    engine.execute(parsed, session, { values, timestamp: ts === undefined ? null : BigInt(ts) });
  }
  return o.count;
}
