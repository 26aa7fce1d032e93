/** What the sink applied: the Prometheus counters and the totals of the status page. */
import { recordsReplicated } from '../metrics/prom-registry.js';
import { batchRows, replicationLag } from '../metrics/sink-metrics.js';
import type { RowChange } from './core/types.js';

export interface TableStats {
  lastAppliedTsUs: string;
  batches: number;
  changes: number;
}

/** What a batch applied, tallied change by change while it is unpacked (core/packed-change.ts). */
export class AppliedTally {
  changes = 0;
  maxTs = 0n;
  readonly ops: Record<string, number> = {};

  count(c: Pick<RowChange, 'tsUs' | 'op'>): void {
    this.changes++;
    const ts = BigInt(c.tsUs);
    if (ts > this.maxTs) this.maxTs = ts;
    this.ops[c.op] = (this.ops[c.op] ?? 0) + 1;
  }
}

export class SinkStats {
  batches = 0;
  changes = 0;
  readonly tables: Record<string, TableStats> = {};

  applied(table: string, { changes, maxTs, ops }: AppliedTally): void {
    for (const [op, n] of Object.entries(ops)) recordsReplicated.inc({ table, op }, n);
    replicationLag.set({ table }, Math.max(0, Date.now() / 1000 - Number(maxTs) / 1e6));
    batchRows.observe(changes);
    this.batches++;
    this.changes += changes;
    const t = (this.tables[table] ??= { lastAppliedTsUs: '0', batches: 0, changes: 0 });
    if (maxTs > BigInt(t.lastAppliedTsUs)) t.lastAppliedTsUs = maxTs.toString();
    t.batches++;
    t.changes += changes;
  }
}
