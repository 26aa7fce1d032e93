// system.cdc_timestamps and system.cdc_streams derived from the tablet stream sets, as ScyllaDB
// serves them (virtual tables, db/virtual_tables.cc `cdc_timestamps_table`, `cdc_streams_table`):
// one partition per (keyspace, table); per stream set its timestamp, and per stream its state
// rows: 0 (current) for every stream of the set, 1 (closed) for the previous set's streams it
// drops, 2 (opened) for the streams it adds (every stream of a table's first set).
import type { TableDef } from '../schema/catalog.js';
import { murmur3Token, partitionKeyBytes } from '../murmur3.js';
import { encodeJs } from '../storage/js-values.js';
import { NO_TS, type Row } from '../storage/table-store.js';
import type { DerivedSource } from '../storage/derived-store.js';

export interface TableStreamSets {
  keyspace: string;
  table: string;
  sets: readonly { ts: number; tablets: readonly { stream: Buffer }[] }[];
}

/** cdc/generation.hh `stream_state`. */
export const STREAM_STATE = { current: 0, closed: 1, opened: 2 } as const;

function keyOf(t: TableDef, ks: string, table: string): { key: string; pk: Buffer[]; token: bigint } {
  const pk = [encodeJs(t.byName.get('keyspace_name')!.type, ks)!, encodeJs(t.byName.get('table_name')!.type, table)!];
  const bytes = partitionKeyBytes(pk);
  return { key: bytes.toString('latin1'), pk, token: murmur3Token(bytes) };
}

function source(t: TableDef, all: () => readonly TableStreamSets[], rowsOf: (x: TableStreamSets) => Row[]): DerivedSource {
  return {
    keys() {
      const out = new Map<string, { pk: Buffer[]; token: bigint }>();
      for (const x of all()) {
        const k = keyOf(t, x.keyspace, x.table);
        out.set(k.key, { pk: k.pk, token: k.token });
      }
      return out;
    },
    rows(key) {
      const mine = all().filter((x) => keyOf(t, x.keyspace, x.table).key === key);
      return mine.length === 0 ? null : mine.flatMap(rowsOf);
    },
  };
}

const row = (ck: Buffer[], ts: number): Row => ({ ck, mts: ts * 1000, mexp: 0, mttl: 0, del: NO_TS, cells: [] });

export function cdcTimestampsSource(t: TableDef, all: () => readonly TableStreamSets[]): DerivedSource {
  const tsType = t.byName.get('timestamp')!.type;
  return source(t, all, (x) => x.sets.map((s) => row([encodeJs(tsType, s.ts)!], s.ts)));
}

export function cdcStreamsSource(t: TableDef, all: () => readonly TableStreamSets[]): DerivedSource {
  const tsType = t.byName.get('timestamp')!.type;
  const stType = t.byName.get('stream_state')!.type;
  return source(t, all, (x) => {
    const rows: Row[] = [];
    x.sets.forEach((set, i) => {
      const ts = encodeJs(tsType, set.ts)!;
      const old = i === 0 ? [] : x.sets[i - 1]!.tablets.map((tb) => tb.stream);
      const cur = set.tablets.map((tb) => tb.stream);
      const oldIds = new Set(old.map((b) => b.toString('hex')));
      const curIds = new Set(cur.map((b) => b.toString('hex')));
      const add = (state: number, ids: Buffer[]) => {
        for (const id of ids) rows.push(row([ts, encodeJs(stType, state)!, id], set.ts));
      };
      add(STREAM_STATE.current, cur);
      add(
        STREAM_STATE.closed,
        old.filter((b) => !curIds.has(b.toString('hex'))),
      );
      add(
        STREAM_STATE.opened,
        cur.filter((b) => !oldIds.has(b.toString('hex'))),
      );
    });
    return rows;
  });
}
