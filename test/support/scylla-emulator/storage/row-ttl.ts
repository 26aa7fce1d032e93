// Per-row TTL (ScyllaDB 2026.2+, docs/cql/cql-extensions.md "Per-row TTL"): one regular column of
// type timestamp, bigint or int holds the absolute time the whole row expires (bigint/int in
// seconds since the epoch). Expiry is eventual: a background pass deletes expired rows some time
// after their time, and with CDC each such delete is logged as a service delete — cdc$operation −3
// (row) or −4 (partition, tables without a clustering key) — instead of 3/4 (cdc/log.cc
// process_change uses the service ops for system-originated deletes).
import type { TableDef } from '../schema/catalog.js';
import { ckKey, readValue, type PartMut } from './mutation.js';
import { NO_TS } from './table-store.js';

/** The ms time a stored TTL-column value names. */
function expiryMs(typeName: string, v: Buffer): number {
  if (typeName === 'timestamp') return Number(v.readBigInt64BE(0));
  if (typeName === 'bigint') return Number(v.readBigInt64BE(0)) * 1000;
  return v.readInt32BE(0) * 1000;
}

/** Deletes for every live row whose per-row TTL has passed, one mutation per partition. */
export function expiredRowDeletes(t: TableDef, nowMs: number, tsMicros: number): PartMut[] {
  const col = t.rowTtl ? t.byName.get(t.rowTtl) : undefined;
  if (!col || col.type.kind !== 'native') return [];
  const out: PartMut[] = [];
  for (const p of t.store.partitions.values()) {
    const pm: PartMut = { table: t, pk: p.pk, key: p.key, token: p.token, pdel: NO_TS, ranges: [], srow: null, rows: new Map() };
    for (const row of p.rows) {
      const v = readValue(col, row.cells[col.ordinal], nowMs);
      if (v === null || expiryMs(col.type.name, v) > nowMs) continue;
      if (t.ck.length === 0) pm.pdel = tsMicros;
      else pm.rows.set(ckKey(row.ck), { ck: row.ck, mts: NO_TS, mttl: 0, del: tsMicros, cells: new Map() });
    }
    if (pm.pdel !== NO_TS || pm.rows.size > 0) out.push(pm);
  }
  return out;
}
