/**
 * Snapshot reads by base-table token range, paged: `token(pk) > after AND token(pk) <= end`.
 * The token of each row comes back with it, so the caller can checkpoint at partition
 * boundaries and resume a range after a crash without re-emitting or skipping a partition.
 */
import cassandra from 'cassandra-driver';
import type { TableModel } from '../schema/table-model.js';

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

export interface SnapshotRow {
  token: bigint;
  row: Record<string, unknown>;
}

export class SnapshotReader {
  constructor(
    private readonly client: cassandra.Client,
    private readonly fetchSize: number,
  ) {}

  async *readRange(t: TableModel, afterExclusive: bigint, endInclusive: bigint): AsyncGenerator<SnapshotRow[]> {
    const pk = t.partitionKey.map(q).join(', ');
    const cols = t.columns.map((c) => q(c.name)).join(', ');
    const query = `SELECT token(${pk}), ${cols} FROM ${q(t.keyspace)}.${q(t.table)} WHERE token(${pk}) > ? AND token(${pk}) <= ?`;
    const params = [cassandra.types.Long.fromString(afterExclusive.toString()), cassandra.types.Long.fromString(endInclusive.toString())];
    let pageState: string | undefined;
    do {
      const rs = await this.client.execute(query, params, { prepare: true, fetchSize: this.fetchSize, isIdempotent: true, ...(pageState ? { pageState } : {}) });
      yield rs.rows.map((r) => {
        const row: Record<string, unknown> = {};
        for (const c of t.columns) row[c.name] = r[c.name];
        return { token: BigInt(String(r.get(0))), row };
      });
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }
}
