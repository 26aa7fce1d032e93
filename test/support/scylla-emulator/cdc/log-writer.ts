// Turns one base-partition mutation into CDC log rows, following ScyllaDB's split into records
// (scylladb cdc/split.cc extract_changes + process_changes_with_splitting, cdc/log.cc transformer;
// docs/features/cdc/cdc-basic-operations.rst). Applies the base mutation record by record so pre-/post-images see the
// state just before/after each record.
import type { Prng } from '../prng.js';
import type { ColumnDef, TableDef } from '../schema/catalog.js';
import { encodeBigint, encodeInt, encodeTinyint, serializeCollection, TRUE } from '../schema/types.js';
import { timeuuidFromMicros } from '../timeuuid.js';
import { cdcToken } from '../murmur3.js';
import { applyPartMut, ckKey, columnByOrdinal, elemKeyCompare, newRowMut, serializeElems, staticMut, type ElemMut, type PartMut, type RowMut } from '../storage/mutation.js';
import { isColl, NO_TS, type RangeTomb, type Row } from '../storage/table-store.js';
import { applyAtomic, applyElems, ImageState, type CellState } from './image-state.js';

export const OP = {
  preImage: 0,
  update: 1,
  insert: 2,
  rowDelete: 3,
  partitionDelete: 4,
  rangeStartIncl: 5,
  rangeStartExcl: 6,
  rangeEndIncl: 7,
  rangeEndExcl: 8,
  postImage: 9,
  serviceRowDelete: -3,
  servicePartitionDelete: -4,
} as const;

export interface CdcContext {
  rng: Prng;
  streamFor(base: TableDef, token: bigint, tsMicros: number): Buffer;
  /** Further streams that receive a copy of the same log rows (tablet switch duplication). */
  duplicateStreamsFor(base: TableDef, token: bigint, tsMicros: number): Buffer[];
  /** 2026.1+: a partition delete on a table without clustering key gets the row's pre-image. */
  noCkDeletePreimage: boolean;
  /** Late-visibility fault: ms after the write before its log rows can be read. */
  visibilityDelayMs(base: TableDef): number;
}

interface NonAtomic {
  col: ColumnDef;
  tomb: number;
  elems: ElemMut[];
}

interface Change {
  ttl: number;
  ck: Buffer[] | null;
  atomic: { col: ColumnDef; v: Buffer | null }[];
  nonatomic: NonAtomic[];
}

interface Batch {
  statics: Change[];
  inserts: Change[];
  updates: Change[];
  rowDels: Buffer[][];
  ranges: RangeTomb[];
  pdel: boolean;
  sub: PartMut;
}

interface Bucket {
  ts: number;
  ttl: number;
  atomic: { col: ColumnDef; v: Buffer | null }[];
  nonatomic: Map<number, NonAtomic>;
}

function bucketsOf(table: TableDef, rm: RowMut): Bucket[] {
  const map = new Map<string, Bucket>();
  const get = (ts: number, ttl: number): Bucket => {
    const k = ts + '|' + ttl;
    let b = map.get(k);
    if (!b) {
      b = { ts, ttl, atomic: [], nonatomic: new Map() };
      map.set(k, b);
    }
    return b;
  };
  if (rm.mts !== NO_TS) get(rm.mts, rm.mttl);
  for (const [ord, cm] of rm.cells) {
    const col = columnByOrdinal(table, ord);
    if (!col) continue;
    if (cm.kind === 'a') {
      get(cm.ts, cm.v === null ? 0 : cm.ttl).atomic.push({ col, v: cm.v });
      continue;
    }
    const entry = (b: Bucket): NonAtomic => {
      let e = b.nonatomic.get(ord);
      if (!e) {
        e = { col, tomb: NO_TS, elems: [] };
        b.nonatomic.set(ord, e);
      }
      return e;
    };
    // A collection tombstone is shown at its timestamp + 1 (scylladb split.cc collection_tombstone).
    if (cm.tomb !== NO_TS) entry(get(cm.tomb + 1, 0)).tomb = cm.tomb;
    for (const el of cm.elems) entry(get(el.ts, el.v === null ? 0 : el.ttl)).elems.push(el);
  }
  return [...map.values()].sort((a, b) => a.ts - b.ts || a.ttl - b.ttl);
}

function extract(pm: PartMut): Map<number, Batch> {
  const t = pm.table;
  const out = new Map<number, Batch>();
  const batch = (ts: number): Batch => {
    let b = out.get(ts);
    if (!b) {
      b = {
        statics: [],
        inserts: [],
        updates: [],
        rowDels: [],
        ranges: [],
        pdel: false,
        sub: { table: t, pk: pm.pk, key: pm.key, token: pm.token, pdel: NO_TS, ranges: [], srow: null, rows: new Map() },
      };
      out.set(ts, b);
    }
    return b;
  };
  const subRow = (b: Batch, ck: Buffer[] | null): RowMut => {
    if (ck === null) return staticMut(b.sub);
    const k = ckKey(ck);
    let r = b.sub.rows.get(k);
    if (!r) {
      r = newRowMut(ck);
      b.sub.rows.set(k, r);
    }
    return r;
  };
  const addToSub = (b: Batch, ck: Buffer[] | null, bucket: Bucket): void => {
    const r = subRow(b, ck);
    for (const a of bucket.atomic) r.cells.set(a.col.ordinal, { kind: 'a', v: a.v, ts: bucket.ts, ttl: bucket.ttl });
    for (const [ord, e] of bucket.nonatomic) {
      const existing = r.cells.get(ord);
      if (existing && existing.kind === 'c') {
        existing.tomb = Math.max(existing.tomb, e.tomb);
        existing.elems.push(...e.elems);
      } else r.cells.set(ord, { kind: 'c', tomb: e.tomb, elems: [...e.elems] });
    }
  };
  if (pm.srow) {
    for (const b of bucketsOf(t, pm.srow)) {
      const bt = batch(b.ts);
      bt.statics.push({ ttl: b.ttl, ck: null, atomic: b.atomic, nonatomic: [...b.nonatomic.values()] });
      addToSub(bt, null, b);
    }
  }
  const rows = [...pm.rows.values()].sort((a, b) => t.store.ckCompare(a.ck, b.ck));
  for (const rm of rows) {
    for (const b of bucketsOf(t, rm)) {
      const bt = batch(b.ts);
      const isInsert = rm.mts !== NO_TS && b.ts === rm.mts && b.ttl === rm.mttl;
      if (isInsert) {
        // An INSERT cannot express adding cells to a collection without its tombstone, so
        // tombstone-less collection cells become a separate UPDATE (scylladb split.cc).
        const withTomb = [...b.nonatomic.values()].filter((e) => e.tomb !== NO_TS);
        const without = [...b.nonatomic.values()].filter((e) => e.tomb === NO_TS);
        bt.inserts.push({ ttl: b.ttl, ck: rm.ck, atomic: b.atomic, nonatomic: withTomb });
        if (without.length > 0) bt.updates.push({ ttl: b.ttl, ck: rm.ck, atomic: [], nonatomic: without });
        const r = subRow(bt, rm.ck);
        r.mts = rm.mts;
        r.mttl = rm.mttl;
      } else {
        bt.updates.push({ ttl: b.ttl, ck: rm.ck, atomic: b.atomic, nonatomic: [...b.nonatomic.values()] });
      }
      addToSub(bt, rm.ck, b);
    }
    if (rm.del !== NO_TS) {
      const bt = batch(rm.del);
      bt.rowDels.push(rm.ck);
      subRow(bt, rm.ck).del = rm.del;
    }
  }
  for (const rt of pm.ranges) {
    const bt = batch(rt.ts);
    bt.ranges.push(rt);
    bt.sub.ranges.push(rt);
  }
  if (pm.pdel !== NO_TS) {
    const bt = batch(pm.pdel);
    bt.pdel = true;
    bt.sub.pdel = pm.pdel;
  }
  return out;
}

interface Shape {
  n: number;
  stream: number;
  time: number;
  seq: number;
  op: number;
  ttl: number;
  eob: number;
  cols: Map<string, { val: number; del: number; delElems: number }>;
}

const shapes = new WeakMap<readonly number[], Shape>();

function shapeOf(log: TableDef): Shape {
  let s = shapes.get(log.layout);
  if (s) return s;
  const pos = new Map(log.columns.map((c, i) => [c.name, i]));
  const p = (n: string): number => pos.get(n) ?? -1;
  const cols = new Map<string, { val: number; del: number; delElems: number }>();
  const base = log.base!;
  for (const c of base.columns) cols.set(c.name, { val: p(c.name), del: p(`cdc$deleted_${c.name}`), delElems: p(`cdc$deleted_elements_${c.name}`) });
  s = {
    n: log.columns.length,
    stream: p('cdc$stream_id'),
    time: p('cdc$time'),
    seq: p('cdc$batch_seq_no'),
    op: p('cdc$operation'),
    ttl: p('cdc$ttl'),
    eob: p('cdc$end_of_batch'),
    cols,
  };
  shapes.set(log.layout, s);
  return s;
}

const OP_BUFS = new Map<number, Buffer>();
function opBuf(op: number): Buffer {
  let b = OP_BUFS.get(op);
  if (!b) {
    b = encodeTinyint(op);
    OP_BUFS.set(op, b);
  }
  return b;
}

function sortedUnique(col: ColumnDef, elems: { k: Buffer; v: Buffer | null }[]): { k: Buffer; v: Buffer | null }[] {
  const cmp = elemKeyCompare(col);
  const s = [...elems].sort((a, b) => cmp(a.k, b.k));
  return s.filter((e, i) => i === 0 || cmp(s[i - 1]!.k, e.k) !== 0);
}

/** Writes the base mutation and its CDC log rows; `service` deletes (per-row TTL expiry) log −3/−4. */
export function writeWithCdc(pm: PartMut, ctx: CdcContext, nowMs: number, service = false): void {
  const base = pm.table;
  const log = base.log!;
  const opts = base.cdc!;
  const shape = shapeOf(log);
  const keysOnly = opts.delta === 'keys';
  const pre = opts.preimage !== 'false';
  const preFull = opts.preimage === 'full';
  const post = opts.postimage;
  const batches = extract(pm);
  const timestamps = [...batches.keys()].sort((a, b) => a - b);
  const exp = opts.ttl > 0 ? nowMs + opts.ttl * 1000 : 0;
  const delay = ctx.visibilityDelayMs(base);
  // scylladb cdc/split.cc get_affected_clustered_columns_per_row (issue 26382 upstream): in a table
  // without clustering key a partition delete deletes the one row, so it is imaged like a row delete.
  const noCkDelete = ctx.noCkDeletePreimage && base.ck.length === 0 && pm.pdel !== NO_TS;
  const imageCks = [...pm.rows.values()].map((r) => r.ck);
  if (noCkDelete && !pm.rows.has(ckKey([]))) imageCks.push([]);
  const state = pre || post ? new ImageState(base, base.store.get(pm.key), imageCks, nowMs) : null;
  for (const ts of timestamps) {
    const b = batches.get(ts)!;
    const stream = ctx.streamFor(base, pm.token, ts);
    const time = timeuuidFromMicros(ts, ctx.rng);
    const rows: (Buffer | null)[][] = [];
    const newVals = (op: number, ck: readonly (Buffer | null)[] | null, ttl: number): (Buffer | null)[] => {
      const v: (Buffer | null)[] = new Array(shape.n).fill(null);
      v[shape.stream] = stream;
      v[shape.time] = time;
      v[shape.op] = opBuf(op);
      if (ttl > 0) v[shape.ttl] = encodeBigint(ttl);
      base.pk.forEach((c, i) => {
        v[shape.cols.get(c.name)!.val] = pm.pk[i]!;
      });
      if (ck)
        base.ck.forEach((c, i) => {
          v[shape.cols.get(c.name)!.val] = ck[i] ?? null;
        });
      rows.push(v);
      return v;
    };
    const image = (op: number, cells: CellState, ck: Buffer[] | null, cols: Iterable<ColumnDef>, withDeleted: boolean): void => {
      const v = newVals(op, ck, 0);
      for (const c of cols) {
        const pos = shape.cols.get(c.name)!;
        const val = cells.get(c.ordinal) ?? null;
        if (val !== null) v[pos.val] = val;
        else if (withDeleted) v[pos.del] = TRUE;
      }
    };
    const delta = (op: number, ch: Change, into: CellState | undefined): void => {
      const v = newVals(op, ch.ck, ch.ttl);
      for (const a of ch.atomic) {
        if (into) applyAtomic(into, a.col, a.v);
        if (keysOnly) continue;
        const pos = shape.cols.get(a.col.name)!;
        if (a.v !== null) v[pos.val] = a.v;
        else v[pos.del] = TRUE;
      }
      for (const e of ch.nonatomic) {
        const live = sortedUnique(
          e.col,
          e.elems.filter((x) => x.v !== null),
        );
        const dead = sortedUnique(
          e.col,
          e.elems.filter((x) => x.v === null),
        );
        if (into) applyElems(into, { col: e.col, tomb: e.tomb, live, dead: dead.map((x) => x.k) });
        if (keysOnly) continue;
        const pos = shape.cols.get(e.col.name)!;
        if (e.tomb !== NO_TS) v[pos.del] = TRUE;
        // A touched non-frozen UDT is logged as a whole value, null where no field was set
        // (scylladb cdc/log.cc udt_visitor; docs/features/cdc/cdc-advanced-types.rst).
        if (live.length > 0 || e.col.type.kind === 'udt') v[pos.val] = serializeElems(e.col.type, live, true);
        if (dead.length > 0 && pos.delElems >= 0)
          v[pos.delElems] = serializeCollection(
            dead.map((x) => x.k),
            dead.length,
          );
      }
    };

    // Columns each row change touches, for pre-images (row deletes touch every regular column).
    const affectedStatic = new Set<ColumnDef>();
    for (const ch of b.statics) {
      for (const a of ch.atomic) affectedStatic.add(a.col);
      for (const e of ch.nonatomic) affectedStatic.add(e.col);
    }
    const affectedRows = new Map<string, { ck: Buffer[]; cols: Set<ColumnDef>; all: boolean }>();
    const touch = (ck: Buffer[], cols: ColumnDef[], all: boolean): void => {
      const k = ckKey(ck);
      let a = affectedRows.get(k);
      if (!a) {
        a = { ck, cols: new Set(), all: false };
        affectedRows.set(k, a);
      }
      for (const c of cols) a.cols.add(c);
      a.all ||= all;
    };
    for (const ch of [...b.inserts, ...b.updates]) touch(ch.ck!, [...ch.atomic.map((a) => a.col), ...ch.nonatomic.map((e) => e.col)], false);
    for (const ck of b.rowDels) touch(ck, [], true);
    if (b.pdel && noCkDelete) touch([], [], true);
    const affected = [...affectedRows.values()].sort((x, y) => base.store.ckCompare(x.ck, y.ck));

    if (pre && state) {
      if (affectedStatic.size > 0 && (state.staticState.size > 0 || state.staticTouched)) {
        image(OP.preImage, state.staticState, null, preFull ? base.statics : affectedStatic, true);
      }
      for (const a of affected) {
        const cells = state.row(a.ck);
        if (!cells) continue;
        image(OP.preImage, cells, a.ck, preFull || a.all ? base.regulars : base.regulars.filter((c) => a.cols.has(c)), true);
      }
    }
    for (const ch of b.statics) {
      delta(OP.update, ch, state?.staticState);
      if (state) state.staticTouched = true;
    }
    // An unsplit mutation is visited row by row in clustering order (scylladb cdc/split.cc
    // process_changes_without_splitting); a split one groups inserts before updates.
    const upserts: [number, Change][] = [...b.inserts.map((c): [number, Change] => [OP.insert, c]), ...b.updates.map((c): [number, Change] => [OP.update, c])];
    // Only a mix of inserts and updates can come out in a different order; check just then.
    if (b.inserts.length > 0 && b.updates.length > 0 && !shouldSplit(pm)) upserts.sort((x, y) => base.store.ckCompare(x[1].ck!, y[1].ck!));
    for (const [op, ch] of upserts) delta(op, ch, state?.upsertRow(ch.ck!));
    for (const ck of b.rowDels) {
      newVals(service ? OP.serviceRowDelete : OP.rowDelete, ck, 0);
      state?.deleteRow(ck);
    }
    for (const rt of b.ranges) {
      newVals(rt.start.prefix.length === 0 || rt.start.incl ? OP.rangeStartIncl : OP.rangeStartExcl, rt.start.prefix, 0);
      newVals(rt.end.prefix.length === 0 || rt.end.incl ? OP.rangeEndIncl : OP.rangeEndExcl, rt.end.prefix, 0);
      state?.deleteRange(rt);
    }
    if (b.pdel) {
      newVals(service ? OP.servicePartitionDelete : OP.partitionDelete, null, 0);
      state?.deletePartition();
    }

    applyPartMut(b.sub, nowMs);
    if (post && state) {
      if (affectedStatic.size > 0) image(OP.postImage, state.staticState, null, base.statics, false);
      for (const a of affected) {
        const cells = state.row(a.ck);
        if (cells) image(OP.postImage, cells, a.ck, base.regulars, false);
      }
    }
    appendLogRows(log, stream, rows, shape, exp, delay > 0 ? nowMs + delay : 0, ts);
    for (const dup of ctx.duplicateStreamsFor(base, pm.token, ts)) {
      const copies = rows.map((v) => {
        const c = v.slice();
        c[shape.stream] = dup;
        return c;
      });
      appendLogRows(log, dup, copies, shape, exp, delay > 0 ? nowMs + delay : 0, ts);
    }
  }
}

/**
 * scylladb cdc/split.cc should_split: one timestamp and TTL, and only one kind of change (static
 * row, clustered upserts, row deletes, range deletes, partition delete), with no collection
 * elements next to a row marker; anything else is split by timestamp and kind.
 */
function shouldSplit(pm: PartMut): boolean {
  let ts: number | null = null;
  let ttl: number | null = null;
  const seen = (t: number, l: number): boolean => {
    if (ts !== null && (ts !== t || ttl !== l)) return true;
    ts = t;
    ttl = l;
    return false;
  };
  const rowCells = (rm: RowMut, marker: boolean): boolean => {
    for (const cm of rm.cells.values()) {
      if (cm.kind === 'a') {
        if (seen(cm.ts, cm.v === null ? 0 : cm.ttl)) return true;
        continue;
      }
      if (cm.tomb !== NO_TS && seen(cm.tomb + 1, 0)) return true;
      for (const el of cm.elems) {
        if (el.v !== null && marker) return true;
        if (seen(el.ts, el.v === null ? 0 : el.ttl)) return true;
      }
    }
    return false;
  };
  const kinds = [
    pm.srow !== null,
    [...pm.rows.values()].some((r) => r.mts !== NO_TS || r.cells.size > 0),
    [...pm.rows.values()].some((r) => r.del !== NO_TS),
    pm.ranges.length > 0,
    pm.pdel !== NO_TS,
  ];
  if (kinds.filter(Boolean).length > 1) return true;
  if (pm.srow && rowCells(pm.srow, false)) return true;
  for (const rm of pm.rows.values()) {
    if (rm.mts !== NO_TS && seen(rm.mts, rm.mttl)) return true;
    if (rowCells(rm, rm.mts !== NO_TS)) return true;
    if (rm.del !== NO_TS && seen(rm.del, 0)) return true;
  }
  for (const rt of pm.ranges) if (seen(rt.ts, 0)) return true;
  return false;
}

function appendLogRows(log: TableDef, stream: Buffer, rows: (Buffer | null)[][], shape: Shape, exp: number, vis: number, ts: number): void {
  const p = log.store.getOrCreate(stream.toString('latin1'), [stream], cdcToken(stream));
  const layout = log.layout;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]!;
    const seq = encodeInt(i);
    v[shape.seq] = seq;
    if (i === rows.length - 1) v[shape.eob] = TRUE;
    let size = 0;
    for (const x of v) size += 4 + (x ? x.length : 0);
    const enc = Buffer.allocUnsafe(size);
    let off = 0;
    for (const x of v) {
      if (x === null) {
        enc.writeInt32BE(-1, off);
        off += 4;
        continue;
      }
      enc.writeInt32BE(x.length, off);
      x.copy(enc, off + 4);
      off += 4 + x.length;
    }
    // Log cells carry the base write's timestamp and the log TTL (WRITETIME/TTL read them back).
    const row: Row = { ck: [v[shape.time]!, seq], mts: ts, mexp: exp, mttl: 0, del: NO_TS, cells: [], enc, lay: layout };
    if (vis > 0) row.vis = vis;
    log.store.insertRow(p, row);
  }
}

export { isColl };
