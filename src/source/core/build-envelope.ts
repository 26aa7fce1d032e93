/**
 * One change (all log rows of one base write record) → the records we put on Kafka, in the
 * envelope of schemas/README.md. A record can touch several rows of one partition (a batch, a
 * static + clustered write), so one change yields one event per touched row, per partition
 * delete, and per range-delete pair, in log order.
 *
 * Image rows are matched to deltas by primary key (the connector groups by RowKey the same way).
 * Several delta rows for one key (TTL splits, INSERT + collection tombstone, ScyllaDB docs/features/cdc/cdc-basic-operations.rst)
 * are merged into one event, because they are one statement's effect at one timestamp.
 */
import { isNonFrozenMultiCell } from '../../schema/cql-type.js';
import { sanitizeAvroName } from '../../schema/cql-to-avro.js';
import { toAvroValue } from '../../schema/avro-value.js';
import type { ColumnModel, TableModel } from '../../schema/table-model.js';
import type { Change } from './group-change-rows.js';
import type { CdcLogRow } from './log-row.js';
import { hex, OP } from './log-row.js';
import { deltaCell, isEmptyCollection, mergeCells, mergedTtls, postImageCell, preImageCell, type Cell } from './envelope-cells.js';

export type EnvelopeOp = 'c' | 'u' | 'd' | 'r';
export type ChangeKind = 'row' | 'static_row' | 'partition_delete' | 'range_delete';

type Obj = Record<string, unknown>;

export interface SourceRecord {
  /** keyspace.table */
  table: string;
  op: EnvelopeOp;
  /** Avro-ready Key record. */
  key: Obj;
  /** Avro-ready PartitionKey record (the partitioning input). */
  partitionKey: Obj;
  /** Avro-ready Envelope record. */
  value: Obj;
  tsMicros: number;
}

export interface EnvelopeContext {
  sourceName: string;
  version: string;
  /** Processing time (top-level ts_ms). */
  nowMs: number;
}

interface Columns {
  pk: ColumnModel[];
  ck: ColumnModel[];
  values: ColumnModel[];
}

// Per table model (a new model after ALTER TABLE is a new object): built once, not per record.
const columnsCache = new WeakMap<TableModel, Columns>();

function columnsOf(t: TableModel): Columns {
  let cols = columnsCache.get(t);
  if (!cols) {
    const byName = new Map(t.columns.map((c) => [c.name, c]));
    cols = {
      pk: t.partitionKey.map((n) => byName.get(n)!),
      ck: t.clusteringKey.map((n) => byName.get(n)!),
      values: t.columns.filter((c) => c.kind === 'regular' || c.kind === 'static'),
    };
    columnsCache.set(t, cols);
  }
  return cols;
}

function keyValues(cols: ColumnModel[], row: Obj): Obj {
  const out: Obj = {};
  for (const c of cols) out[sanitizeAvroName(c.name)] = toAvroValue(c.type, row[c.name]);
  return out;
}

function rowKeyString(cols: Columns, row: Obj): string {
  return JSON.stringify([...cols.pk, ...cols.ck].map((c) => String(toAvroValue(c.type, row[c.name]) ?? '\u0000null')));
}

function emptyValue(t: TableModel): Obj {
  const out: Obj = {};
  for (const c of t.columns) out[sanitizeAvroName(c.name)] = null;
  return out;
}

function isStaticRow(cols: Columns, row: Obj): boolean {
  return cols.ck.length > 0 && cols.ck.every((c) => row[c.name] === null || row[c.name] === undefined);
}

interface SourceExtras {
  change_kind: ChangeKind;
  cdc_operation: number | null;
  ttl: number | null;
  cell_ttls?: Record<string, number> | null;
  range_start?: Obj | null;
  range_end?: Obj | null;
  range_start_inclusive?: boolean | null;
  range_end_inclusive?: boolean | null;
  stream_id: string | null;
  seq: number | null;
  snapshot?: string;
}

function sourceBlock(t: TableModel, ctx: EnvelopeContext, tsMicros: number, extras: SourceExtras): Obj {
  return {
    version: ctx.version,
    connector: 'scylla',
    name: ctx.sourceName,
    ts_ms: Math.floor(tsMicros / 1000),
    ts_us: tsMicros,
    snapshot: extras.snapshot ?? 'false',
    db: t.keyspace,
    keyspace_name: t.keyspace,
    table_name: t.table,
    change_kind: extras.change_kind,
    cdc_operation: extras.cdc_operation,
    ttl: extras.ttl,
    range_start: extras.range_start ?? null,
    range_end: extras.range_end ?? null,
    range_start_inclusive: extras.range_start_inclusive ?? null,
    range_end_inclusive: extras.range_end_inclusive ?? null,
    stream_id: extras.stream_id,
    seq: extras.seq,
    cell_ttls: extras.cell_ttls ?? null,
  };
}

function record(t: TableModel, cols: Columns, op: EnvelopeOp, keyRow: Obj, before: Obj | null, after: Obj | null, src: Obj, ctx: EnvelopeContext, tsMicros: number): SourceRecord {
  return {
    table: `${t.keyspace}.${t.table}`,
    op,
    key: keyValues([...cols.pk, ...cols.ck], keyRow),
    partitionKey: keyValues(cols.pk, keyRow),
    value: { before, after, op, ts_ms: ctx.nowMs, source: src, transaction: null },
    tsMicros,
  };
}

function valueWithKeys(t: TableModel, cols: Columns, row: Obj, keyCols: ColumnModel[]): Obj {
  const v = emptyValue(t);
  Object.assign(v, keyValues(keyCols, row));
  return v;
}

/** Builds every record of one change. Unknown negative/future op codes are skipped and reported. */
export function buildChangeRecords(t: TableModel, change: Change, ctx: EnvelopeContext, onUnknownOp?: (op: number) => void): SourceRecord[] {
  const cols = columnsOf(t);
  // Rows are matched by primary key; a change of one row (the usual insert or update without
  // images) has nothing to match, so its key is not worked out.
  const keyOf = change.rows.length === 1 ? () => '' : (row: Obj) => rowKeyString(cols, row);
  const pre = new Map<string, CdcLogRow>();
  const post = new Map<string, CdcLogRow>();
  const deltas: CdcLogRow[] = [];
  for (const r of change.rows) {
    if (r.op === OP.PRE_IMAGE) pre.set(keyOf(r.cells), r);
    else if (r.op === OP.POST_IMAGE) post.set(keyOf(r.cells), r);
    else deltas.push(r);
  }
  const streamHex = hex(change.streamId);
  const ts = change.timeMicros;
  const out: SourceRecord[] = [];

  // Merge the upsert rows (op 1/2) by key: they are one statement's effect on that row.
  const upserts = new Map<string, { first: CdcLogRow; rows: CdcLogRow[]; emitted: boolean }>();
  for (const r of deltas) {
    if (r.op !== OP.UPDATE && r.op !== OP.INSERT) continue;
    const k = keyOf(r.cells);
    const g = upserts.get(k);
    if (g) g.rows.push(r);
    else upserts.set(k, { first: r, rows: [r], emitted: false });
  }

  const imageBefore = (k: string, keyCols: ColumnModel[], row: Obj): Obj | null => {
    const p = pre.get(k);
    if (!p) return null;
    const v = valueWithKeys(t, cols, row, keyCols);
    for (const c of cols.values) v[sanitizeAvroName(c.name)] = preImageCell(c, p.cells);
    return v;
  };

  for (let i = 0; i < deltas.length; i++) {
    const r = deltas[i]!;
    switch (r.op) {
      case OP.UPDATE:
      case OP.INSERT: {
        const k = keyOf(r.cells);
        const g = upserts.get(k)!;
        if (g.emitted) break;
        g.emitted = true;
        const isStatic = isStaticRow(cols, r.cells);
        const keyCols = isStatic ? cols.pk : [...cols.pk, ...cols.ck];
        const after = valueWithKeys(t, cols, r.cells, keyCols);
        // each row's cells once: merged here, and their TTLs below
        const rowCells = g.rows.map((row) => cols.values.map((c) => deltaCell(c, row.cells)));
        cols.values.forEach((c, ci) => {
          let cell: Cell | null = null;
          for (const cells of rowCells) cell = mergeCells(cell, cells[ci]!);
          after[sanitizeAvroName(c.name)] = cell;
        });
        const isInsert = g.rows.some((x) => x.op === OP.INSERT);
        const postRow = post.get(k);
        if (postRow && isInsert) {
          for (const c of cols.values) {
            const f = sanitizeAvroName(c.name);
            if (after[f] === null) after[f] = postImageCell(c, postRow.cells);
          }
        }
        const ttls = mergedTtls(
          cols.values,
          g.rows.map((x, ri) => ({ ttl: x.ttl, isInsert: x.op === OP.INSERT, cells: rowCells[ri]! })),
          (c) => sanitizeAvroName(c.name),
        );
        const op: EnvelopeOp = isInsert && !isStatic ? 'c' : 'u';
        const src = sourceBlock(t, ctx, ts, {
          change_kind: isStatic ? 'static_row' : 'row',
          cdc_operation: isInsert ? OP.INSERT : OP.UPDATE,
          ttl: ttls.ttl,
          cell_ttls: ttls.cellTtls,
          stream_id: streamHex,
          seq: g.first.seq,
        });
        out.push(record(t, cols, op, r.cells, imageBefore(k, keyCols, r.cells), after, src, ctx, ts));
        break;
      }
      case OP.ROW_DELETE:
      case OP.SERVICE_ROW_DELETE: {
        const k = keyOf(r.cells);
        const keyCols = [...cols.pk, ...cols.ck];
        const before = imageBefore(k, keyCols, r.cells) ?? valueWithKeys(t, cols, r.cells, keyCols);
        const src = sourceBlock(t, ctx, ts, { change_kind: 'row', cdc_operation: r.op, ttl: null, stream_id: streamHex, seq: r.seq });
        out.push(record(t, cols, 'd', r.cells, before, null, src, ctx, ts));
        break;
      }
      case OP.PARTITION_DELETE:
      case OP.SERVICE_PARTITION_DELETE: {
        // A table without clustering key: the connector emits this as a row delete; so do we,
        // with change_kind telling the truth.
        const k = keyOf(r.cells);
        const before = imageBefore(k, cols.pk, r.cells) ?? valueWithKeys(t, cols, r.cells, cols.pk);
        const src = sourceBlock(t, ctx, ts, { change_kind: 'partition_delete', cdc_operation: r.op, ttl: null, stream_id: streamHex, seq: r.seq });
        const keyRow: Obj = { ...r.cells };
        for (const c of cols.ck) keyRow[c.name] = null;
        out.push(record(t, cols, 'd', keyRow, before, null, src, ctx, ts));
        break;
      }
      case OP.RANGE_START_INCLUSIVE:
      case OP.RANGE_START_EXCLUSIVE:
      case OP.RANGE_END_INCLUSIVE:
      case OP.RANGE_END_EXCLUSIVE: {
        let start: CdcLogRow | null = null;
        let end: CdcLogRow | null = null;
        if (r.op === OP.RANGE_START_INCLUSIVE || r.op === OP.RANGE_START_EXCLUSIVE) {
          start = r;
          const next = deltas[i + 1];
          if (next && (next.op === OP.RANGE_END_INCLUSIVE || next.op === OP.RANGE_END_EXCLUSIVE)) {
            end = next;
            i++;
          }
        } else {
          end = r; // an end without its start: unbounded start
        }
        const boundOf = (b: CdcLogRow | null): Obj | null => {
          if (!b || cols.ck.every((c) => b.cells[c.name] === null || b.cells[c.name] === undefined)) return null;
          return keyValues(cols.ck, b.cells);
        };
        const src = sourceBlock(t, ctx, ts, {
          change_kind: 'range_delete',
          cdc_operation: (start ?? end)!.op,
          ttl: null,
          range_start: boundOf(start),
          range_end: boundOf(end),
          range_start_inclusive: start ? start.op === OP.RANGE_START_INCLUSIVE : true,
          range_end_inclusive: end ? end.op === OP.RANGE_END_INCLUSIVE : true,
          stream_id: streamHex,
          seq: (start ?? end)!.seq,
        });
        const keyRow: Obj = { ...r.cells };
        for (const c of cols.ck) keyRow[c.name] = null;
        out.push(record(t, cols, 'd', keyRow, valueWithKeys(t, cols, r.cells, cols.pk), null, src, ctx, ts));
        break;
      }
      default:
        onUnknownOp?.(r.op);
    }
  }
  return out;
}

/** A snapshot row (`op = r`): every column, whole. */
export function buildSnapshotRecord(t: TableModel, row: Obj, ctx: EnvelopeContext, tsMicros: number): SourceRecord {
  const cols = columnsOf(t);
  const after = valueWithKeys(t, cols, row, [...cols.pk, ...cols.ck]);
  for (const c of cols.values) {
    const raw = row[c.name];
    const f = sanitizeAvroName(c.name);
    if (!isNonFrozenMultiCell(c.type)) {
      after[f] = { value: raw === null || raw === undefined ? null : toAvroValue(c.type, raw) };
    } else {
      // A snapshot read returns lists as lists (no element keys) and empty collections as null.
      const value = raw === null || raw === undefined || isEmptyCollection(raw) ? null : toAvroValue(c.type, raw);
      after[f] = { value, mode: 'OVERWRITE', removed: null, ...(c.type.kind === 'list' ? { list_keys: null } : {}) };
    }
  }
  const src = sourceBlock(t, ctx, tsMicros, { change_kind: 'row', cdc_operation: null, ttl: null, stream_id: null, seq: null, snapshot: 'true' });
  return record(t, cols, 'r', row, null, after, src, ctx, tsMicros);
}
