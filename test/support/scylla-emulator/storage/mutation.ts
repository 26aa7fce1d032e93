// A write to one partition in ScyllaDB's terms (row marker, cells, collection tombstones,
// row/range/partition tombstones, each with its own timestamp and TTL) and how it merges into
// the stored partition. CDC derives its log rows from exactly this structure.
import type { ColumnDef, TableDef } from '../schema/catalog.js';
import { comparatorFor, serializeCollection, serializeTupleLike, splitCollection, typeToCql, type CqlType } from '../schema/types.js';
import { cellLive, inRange, isColl, NO_TS, type Cell, type CollCell, type Elem, type Partition, type RangeTomb, type Row, type StoredCell } from './table-store.js';

export interface ElemMut {
  k: Buffer;
  v: Buffer | null;
  ts: number;
  ttl: number;
}

export type CellMut = { kind: 'a'; v: Buffer | null; ts: number; ttl: number } | { kind: 'c'; tomb: number; elems: ElemMut[] };

export interface RowMut {
  ck: Buffer[];
  mts: number;
  mttl: number;
  del: number;
  cells: Map<number, CellMut>;
}

export interface PartMut {
  table: TableDef;
  pk: Buffer[];
  key: string;
  token: bigint;
  pdel: number;
  ranges: RangeTomb[];
  srow: RowMut | null;
  rows: Map<string, RowMut>;
}

export function ckKey(ck: readonly Buffer[]): string {
  let s = '';
  for (const b of ck) s += b.length + ':' + b.toString('latin1');
  return s;
}

export function newRowMut(ck: Buffer[]): RowMut {
  return { ck, mts: NO_TS, mttl: 0, del: NO_TS, cells: new Map() };
}

export function rowMut(pm: PartMut, ck: Buffer[]): RowMut {
  const k = ckKey(ck);
  let r = pm.rows.get(k);
  if (!r) {
    r = newRowMut(ck);
    pm.rows.set(k, r);
  }
  return r;
}

export function staticMut(pm: PartMut): RowMut {
  if (!pm.srow) pm.srow = newRowMut([]);
  return pm.srow;
}

function wins(newTs: number, newV: Buffer | null, old: Cell): boolean {
  if (newTs !== old.ts) return newTs > old.ts;
  if (newV === null) return true;
  if (old.v === null) return false;
  return Buffer.compare(newV, old.v) > 0;
}

/** Merges b into a (same partition, e.g. two statements of one batch). */
export function mergePartMut(a: PartMut, b: PartMut): void {
  a.pdel = Math.max(a.pdel, b.pdel);
  a.ranges.push(...b.ranges);
  if (b.srow) mergeRowMut(staticMut(a), b.srow);
  for (const [k, r] of b.rows) {
    const existing = a.rows.get(k);
    if (existing) mergeRowMut(existing, r);
    else a.rows.set(k, r);
  }
}

function mergeRowMut(a: RowMut, b: RowMut): void {
  if (b.mts > a.mts) {
    a.mts = b.mts;
    a.mttl = b.mttl;
  }
  a.del = Math.max(a.del, b.del);
  for (const [ord, c] of b.cells) {
    const old = a.cells.get(ord);
    if (!old) {
      a.cells.set(ord, c);
      continue;
    }
    if (c.kind === 'a' && old.kind === 'a') {
      if (wins(c.ts, c.v, { v: old.v, ts: old.ts, exp: 0, ttl: 0 })) a.cells.set(ord, c);
    } else if (c.kind === 'c' && old.kind === 'c') {
      old.tomb = Math.max(old.tomb, c.tomb);
      old.elems.push(...c.elems);
    }
  }
}

function expiry(ttl: number, now: number): number {
  return ttl > 0 ? now + ttl * 1000 : 0;
}

function shadowFor(p: Partition, row: Row | null, ck: readonly Buffer[] | null, cmps: TableDef['ckCmps']): number {
  let s = p.del;
  if (row) s = Math.max(s, row.del);
  if (ck) for (const rt of p.ranges) if (rt.ts > s && inRange(cmps, ck, rt)) s = rt.ts;
  return s;
}

function purgeRow(row: Row, ts: number): void {
  if (row.mts <= ts) {
    row.mts = NO_TS;
    row.mexp = 0;
    row.mttl = 0;
  }
  for (let i = 0; i < row.cells.length; i++) {
    const c = row.cells[i];
    if (!c) continue;
    if (isColl(c)) {
      c.elems = c.elems.filter((e) => e.ts > ts);
      if (c.tomb <= ts) c.tomb = NO_TS;
      if (c.elems.length === 0 && c.tomb === NO_TS) row.cells[i] = undefined;
    } else if (c.ts <= ts) row.cells[i] = undefined;
  }
}

function rowEmpty(row: Row): boolean {
  return row.mts === NO_TS && row.del === NO_TS && row.cells.every((c) => c === undefined);
}

export function applyPartMut(pm: PartMut, now: number): Partition {
  const t = pm.table;
  const store = t.store;
  const p = store.getOrCreate(pm.key, pm.pk, pm.token);
  if (pm.pdel > p.del) {
    p.del = pm.pdel;
    if (p.srow) purgeRow(p.srow, p.del);
    for (const r of p.rows) {
      purgeRow(r, p.del);
      if (r.del <= p.del) r.del = NO_TS;
    }
    p.rows = p.rows.filter((r) => !rowEmpty(r));
    p.ranges = p.ranges.filter((rt) => rt.ts > p.del);
  }
  for (const rt of pm.ranges) {
    if (rt.ts <= p.del) continue;
    p.ranges.push(rt);
    for (const r of p.rows) if (inRange(t.ckCmps, r.ck, rt)) purgeRow(r, rt.ts);
    p.rows = p.rows.filter((r) => !rowEmpty(r));
  }
  if (pm.srow) {
    if (!p.srow) p.srow = { ck: [], mts: NO_TS, mexp: 0, mttl: 0, del: NO_TS, cells: [] };
    applyCells(p.srow, pm.srow, p.del, now, t);
  }
  for (const rm of pm.rows.values()) {
    const row = store.findOrInsertRow(p, rm.ck);
    if (rm.del > row.del) {
      row.del = rm.del;
      purgeRow(row, rm.del);
    }
    const shadow = shadowFor(p, row, rm.ck, t.ckCmps);
    if (rm.mts > shadow && rm.mts >= row.mts) {
      row.mts = rm.mts;
      row.mttl = rm.mttl;
      row.mexp = expiry(rm.mttl, now);
    }
    applyCells(row, rm, shadow, now, t);
  }
  return p;
}

function applyCells(row: Row, rm: RowMut, shadow: number, now: number, t: TableDef): void {
  for (const [ord, cm] of rm.cells) {
    const old = row.cells[ord];
    if (cm.kind === 'a') {
      if (cm.ts <= shadow) continue;
      if (old && !isColl(old) && !wins(cm.ts, cm.v, old)) continue;
      row.cells[ord] = { v: cm.v, ts: cm.ts, ttl: cm.v === null ? 0 : cm.ttl, exp: cm.v === null ? 0 : expiry(cm.ttl, now) };
      continue;
    }
    let cc: CollCell;
    if (old && isColl(old)) cc = old;
    else {
      cc = { tomb: NO_TS, elems: [] };
      row.cells[ord] = cc;
    }
    if (cm.tomb > cc.tomb && cm.tomb > shadow) {
      cc.tomb = cm.tomb;
      cc.elems = cc.elems.filter((e) => e.ts > cc.tomb);
    }
    const col = columnByOrdinal(t, ord);
    const cmp = col ? elemKeyCompare(col) : Buffer.compare;
    for (const em of cm.elems) {
      if (em.ts <= shadow || em.ts <= cc.tomb) continue;
      const e: Elem = { k: em.k, v: em.v, ts: em.ts, ttl: em.v === null ? 0 : em.ttl, exp: em.v === null ? 0 : expiry(em.ttl, now) };
      insertElem(cc.elems, e, cmp);
    }
  }
}

function insertElem(elems: Elem[], e: Elem, cmp: (a: Buffer, b: Buffer) => number): void {
  let lo = 0;
  let hi = elems.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(elems[mid]!.k, e.k) < 0) lo = mid + 1;
    else hi = mid;
  }
  const at = elems[lo];
  if (at && cmp(at.k, e.k) === 0) {
    if (wins(e.ts, e.v, at)) elems[lo] = e;
  } else elems.splice(lo, 0, e);
}

const ordinalCache = new WeakMap<TableDef, { layout: readonly number[]; map: Map<number, ColumnDef> }>();
export function columnByOrdinal(t: TableDef, ord: number): ColumnDef | undefined {
  let c = ordinalCache.get(t);
  if (!c || c.layout !== t.layout) {
    c = { layout: t.layout, map: new Map(t.columns.map((col) => [col.ordinal, col])) };
    ordinalCache.set(t, c);
  }
  return c.map.get(ord);
}

export function elemKeyCompare(col: ColumnDef): (a: Buffer, b: Buffer) => number {
  const t = col.type;
  if (t.kind === 'map' || t.kind === 'set') return elemCmpCache(t.kind === 'map' ? t.key : t.elem);
  if (t.kind === 'list') return elemCmpCache({ kind: 'native', name: 'timeuuid' });
  return (a, b) => a.readInt16BE(0) - b.readInt16BE(0);
}

const cmpCache = new Map<string, (a: Buffer, b: Buffer) => number>();
function elemCmpCache(t: CqlType): (a: Buffer, b: Buffer) => number {
  const k = typeToCql(t) + (t.kind === 'udt' ? t.keyspace : '');
  let c = cmpCache.get(k);
  if (!c) {
    c = comparatorFor(t);
    cmpCache.set(k, c);
  }
  return c;
}

// ---- reading values back ----

export function liveElems(c: CollCell, now: number): Elem[] {
  return c.elems.filter((e) => cellLive(e, now));
}

/** A column's value as a base-table SELECT returns it (null when dead or empty). */
export function readValue(col: ColumnDef, c: StoredCell | undefined, now: number): Buffer | null {
  if (!c) return null;
  if (!isColl(c)) return cellLive(c, now) ? c.v : null;
  const elems = liveElems(c, now);
  if (elems.length === 0) return null;
  return serializeElems(col.type, elems, false);
}

/** A column's value as the CDC log shows it (lists as map<timeuuid, V>). */
export function readLogValue(col: ColumnDef, c: StoredCell | undefined, now: number): Buffer | null {
  if (!c) return null;
  if (!isColl(c)) return cellLive(c, now) ? c.v : null;
  const elems = liveElems(c, now);
  if (elems.length === 0) return null;
  return serializeElems(col.type, elems, true);
}

export function serializeElems(t: CqlType, elems: readonly { k: Buffer; v: Buffer | null }[], listAsMap: boolean): Buffer {
  switch (t.kind) {
    case 'set':
      return serializeCollection(
        elems.map((e) => e.k),
        elems.length,
      );
    case 'map':
      return serializeCollection(
        elems.flatMap((e) => [e.k, e.v ?? Buffer.alloc(0)]),
        elems.length,
      );
    case 'list':
      if (listAsMap)
        return serializeCollection(
          elems.flatMap((e) => [e.k, e.v ?? Buffer.alloc(0)]),
          elems.length,
        );
      return serializeCollection(
        elems.map((e) => e.v ?? Buffer.alloc(0)),
        elems.length,
      );
    case 'udt': {
      const vals: (Buffer | null)[] = t.fieldNames.map(() => null);
      for (const e of elems) vals[e.k.readInt16BE(0)] = e.v;
      return serializeTupleLike(vals);
    }
    default:
      throw new Error('not a multi-cell type');
  }
}

export function rowLive(row: Row, now: number): boolean {
  if (row.enc) return row.mexp === 0 || row.mexp > now;
  if (row.mts !== NO_TS && (row.mexp === 0 || row.mexp > now)) return true;
  for (const c of row.cells) {
    if (!c) continue;
    if (isColl(c)) {
      if (c.elems.some((e) => cellLive(e, now))) return true;
    } else if (cellLive(c, now)) return true;
  }
  return false;
}

export function splitValueToElems(col: ColumnDef, v: Buffer): { k: Buffer; v: Buffer }[] {
  const t = col.type;
  if (t.kind === 'set') return splitCollection(v).map((k) => ({ k, v: Buffer.alloc(0) }));
  if (t.kind === 'map') {
    const parts = splitCollection(flattenMapCount(v));
    const out: { k: Buffer; v: Buffer }[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) out.push({ k: parts[i]!, v: parts[i + 1]! });
    return out;
  }
  throw new Error('splitValueToElems: unsupported type');
}

/** splitCollection reads `count` items; a map's count is pairs, so double it. */
function flattenMapCount(v: Buffer): Buffer {
  const c = Buffer.from(v);
  c.writeInt32BE(v.readInt32BE(0) * 2, 0);
  return c;
}
