/** What the sink applied: the Prometheus counters and the totals of the status page. */
import { recordsReplicated } from '../metrics/prom-registry.js';
import { batchRows, replicationLag } from '../metrics/sink-metrics.js';
import type { RowChange } from './core/types.js';

export interface TableStats {
  lastAppliedTsUs: string;
  batches: number;
  changes: number;
}

export class SinkStats {
  batches = 0;
  changes = 0;
  readonly tables: Record<string, TableStats> = {};

  /** The changes of a batch of `table`, unpacked (core/packed-change.ts). */
  applied(table: string, changes: Pick<RowChange, 'tsUs' | 'op'>[]): void {
    let maxTs = 0n;
    const ops: Record<string, number> = {};
    for (const c of changes) {
      const ts = BigInt(c.tsUs);
      if (ts > maxTs) maxTs = ts;
      ops[c.op] = (ops[c.op] ?? 0) + 1;
    }
    for (const [op, n] of Object.entries(ops)) recordsReplicated.inc({ table, op }, n);
    replicationLag.set({ table }, Math.max(0, Date.now() / 1000 - Number(maxTs) / 1e6));
    batchRows.observe(changes.length);
    this.batches++;
    this.changes += changes.length;
    const t = (this.tables[table] ??= { lastAppliedTsUs: '0', batches: 0, changes: 0 });
    if (maxTs > BigInt(t.lastAppliedTsUs)) t.lastAppliedTsUs = maxTs.toString();
    t.batches++;
    t.changes += changes.length;
  }
}
