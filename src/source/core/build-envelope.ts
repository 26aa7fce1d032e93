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
  /** pk then ck: the Key record's columns. */
  keys: ColumnModel[];
  values: ColumnModel[];
  /** The Avro field name of each of `values`. */
  valueFields: string[];
  /** The Avro field name of every column, in table order (an empty value has them all null). */
  allFields: string[];
  /** keyspace.table */
  table: string;
}

// Per table model (a new model after ALTER TABLE is a new object): built once, not per record.
const columnsCache = new WeakMap<TableModel, Columns>();

function columnsOf(t: TableModel): Columns {
  let cols = columnsCache.get(t);
  if (!cols) {
    const byName = new Map(t.columns.map((c) => [c.name, c]));
    const pk = t.partitionKey.map((n) => byName.get(n)!);
    const ck = t.clusteringKey.map((n) => byName.get(n)!);
    const values = t.columns.filter((c) => c.kind === 'regular' || c.kind === 'static');
    cols = {
      pk,
      ck,
      keys: [...pk, ...ck],
      values,
      valueFields: values.map((c) => sanitizeAvroName(c.name)),
      allFields: t.columns.map((c) => sanitizeAvroName(c.name)),
      table: `${t.keyspace}.${t.table}`,
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
  return JSON.stringify(cols.keys.map((c) => String(toAvroValue(c.type, row[c.name]) ?? '\u0000null')));
}

/** A change of one log row has nothing to match by key. */
const noKey = (): string => '';
const isImage = (r: CdcLogRow): boolean => r.op === OP.PRE_IMAGE || r.op === OP.POST_IMAGE;

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

function record(cols: Columns, op: EnvelopeOp, keyRow: Obj, before: Obj | null, after: Obj | null, src: Obj, ctx: EnvelopeContext, tsMicros: number): SourceRecord {
  return {
    table: cols.table,
    op,
    key: keyValues(cols.keys, keyRow),
    partitionKey: keyValues(cols.pk, keyRow),
    value: { before, after, op, ts_ms: ctx.nowMs, source: src, transaction: null },
    tsMicros,
  };
}

/** Every column null but the key columns `keyCols`, which hold the row's values. */
function valueWithKeys(cols: Columns, row: Obj, keyCols: ColumnModel[]): Obj {
  const v: Obj = {};
  for (const f of cols.allFields) v[f] = null;
  for (const c of keyCols) v[sanitizeAvroName(c.name)] = toAvroValue(c.type, row[c.name]);
  return v;
}

function preImageValue(cols: Columns, pre: Map<string, CdcLogRow>, k: string, keyCols: ColumnModel[], row: Obj): Obj | null {
  const p = pre.get(k);
  if (!p) return null;
  const v = valueWithKeys(cols, row, keyCols);
  for (let ci = 0; ci < cols.values.length; ci++) v[cols.valueFields[ci]!] = preImageCell(cols.values[ci]!, p.cells);
  return v;
}

type Ttls = ReturnType<typeof mergedTtls>;

/** A lone delta row's cells into `after`; one row has one TTL for all it wrote (what mergedTtls works out for it). */
function loneRowCells(cols: Columns, r: CdcLogRow, after: Obj): Ttls {
  for (let ci = 0; ci < cols.values.length; ci++) after[cols.valueFields[ci]!] = deltaCell(cols.values[ci]!, r.cells);
  return { ttl: r.ttl, cellTtls: null };
}

/** Several delta rows of one key: each row's cells once, merged into `after`, and their TTLs. */
function mergeRowCells(cols: Columns, group: readonly CdcLogRow[], after: Obj): Ttls {
  const rowCells = group.map((row) => cols.values.map((c) => deltaCell(c, row.cells)));
  for (let ci = 0; ci < cols.values.length; ci++) {
    let cell: Cell | null = null;
    for (const cells of rowCells) cell = mergeCells(cell, cells[ci]!);
    after[cols.valueFields[ci]!] = cell;
  }
  return mergedTtls(
    cols.values,
    group.map((x, ri) => ({ ttl: x.ttl, isInsert: x.op === OP.INSERT, cells: rowCells[ri]! })),
    (c) => sanitizeAvroName(c.name),
  );
}

/** Builds every record of one change. Unknown negative/future op codes are skipped and reported. */
export function buildChangeRecords(t: TableModel, change: Change, ctx: EnvelopeContext, onUnknownOp?: (op: number) => void): SourceRecord[] {
  const cols = columnsOf(t);
  // Rows are matched by primary key; a change of one row (the usual insert or update without
  // images) has nothing to match, so its key is not worked out.
  const rows = change.rows;
  const keyOf = rows.length === 1 ? noKey : (row: Obj) => rowKeyString(cols, row);
  // Image rows are rare: the maps (and a deltas array apart from the rows) only when there are any.
  let pre: Map<string, CdcLogRow> | null = null;
  let post: Map<string, CdcLogRow> | null = null;
  let deltas: readonly CdcLogRow[] = rows;
  if (rows.some(isImage)) {
    pre = new Map();
    post = new Map();
    const d: CdcLogRow[] = [];
    for (const r of rows) {
      if (r.op === OP.PRE_IMAGE) pre.set(keyOf(r.cells), r);
      else if (r.op === OP.POST_IMAGE) post.set(keyOf(r.cells), r);
      else d.push(r);
    }
    deltas = d;
  }
  const streamHex = hex(change.streamId);
  const ts = change.timeMicros;
  const out: SourceRecord[] = [];

  // Merge the upsert rows (op 1/2) by key: they are one statement's effect on that row. A lone
  // delta row is its own group.
  let upserts: Map<string, { rows: CdcLogRow[]; emitted: boolean }> | null = null;
  if (deltas.length > 1) {
    upserts = new Map();
    for (const r of deltas) {
      if (r.op !== OP.UPDATE && r.op !== OP.INSERT) continue;
      const k = keyOf(r.cells);
      const g = upserts.get(k);
      if (g) g.rows.push(r);
      else upserts.set(k, { rows: [r], emitted: false });
    }
  }

  const imageBefore = (k: string, keyCols: ColumnModel[], row: Obj): Obj | null => (pre ? preImageValue(cols, pre, k, keyCols, row) : null);

  for (let i = 0; i < deltas.length; i++) {
    const r = deltas[i]!;
    switch (r.op) {
      case OP.UPDATE:
      case OP.INSERT: {
        const k = keyOf(r.cells);
        let group: readonly CdcLogRow[] = deltas;
        if (upserts) {
          const g = upserts.get(k)!;
          if (g.emitted) break;
          g.emitted = true;
          group = g.rows;
        }
        const isStatic = isStaticRow(cols, r.cells);
        const keyCols = isStatic ? cols.pk : cols.keys;
        const after = valueWithKeys(cols, r.cells, keyCols);
        const ttls = group.length === 1 ? loneRowCells(cols, r, after) : mergeRowCells(cols, group, after);
        const isInsert = group.some((x) => x.op === OP.INSERT);
        const postRow = post?.get(k);
        if (postRow && isInsert) {
          for (let ci = 0; ci < cols.values.length; ci++) {
            const f = cols.valueFields[ci]!;
            if (after[f] === null) after[f] = postImageCell(cols.values[ci]!, postRow.cells);
          }
        }
        const op: EnvelopeOp = isInsert && !isStatic ? 'c' : 'u';
        const src = sourceBlock(t, ctx, ts, {
          change_kind: isStatic ? 'static_row' : 'row',
          cdc_operation: isInsert ? OP.INSERT : OP.UPDATE,
          ttl: ttls.ttl,
          cell_ttls: ttls.cellTtls,
          stream_id: streamHex,
          seq: group[0]!.seq,
        });
        out.push(record(cols, op, r.cells, imageBefore(k, keyCols, r.cells), after, src, ctx, ts));
        break;
      }
      case OP.ROW_DELETE:
      case OP.SERVICE_ROW_DELETE: {
        const k = keyOf(r.cells);
        const keyCols = cols.keys;
        const before = imageBefore(k, keyCols, r.cells) ?? valueWithKeys(cols, r.cells, keyCols);
        const src = sourceBlock(t, ctx, ts, { change_kind: 'row', cdc_operation: r.op, ttl: null, stream_id: streamHex, seq: r.seq });
        out.push(record(cols, 'd', r.cells, before, null, src, ctx, ts));
        break;
      }
      case OP.PARTITION_DELETE:
      case OP.SERVICE_PARTITION_DELETE: {
        // A table without clustering key: the connector emits this as a row delete; so do we,
        // with change_kind telling the truth.
        const k = keyOf(r.cells);
        const before = imageBefore(k, cols.pk, r.cells) ?? valueWithKeys(cols, r.cells, cols.pk);
        const src = sourceBlock(t, ctx, ts, { change_kind: 'partition_delete', cdc_operation: r.op, ttl: null, stream_id: streamHex, seq: r.seq });
        const keyRow: Obj = { ...r.cells };
        for (const c of cols.ck) keyRow[c.name] = null;
        out.push(record(cols, 'd', keyRow, before, null, src, ctx, ts));
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
        out.push(record(cols, 'd', keyRow, valueWithKeys(cols, r.cells, cols.pk), null, src, ctx, ts));
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
  const after = valueWithKeys(cols, row, cols.keys);
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
  return record(cols, 'r', row, null, after, src, ctx, tsMicros);
}
