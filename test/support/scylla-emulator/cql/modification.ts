// INSERT / UPDATE / DELETE → partition mutations with Cassandra's cell-level semantics
// (collection overwrite = tombstone at T-1 plus cells at T, column DELETE = tombstone at T, ...).
import { invalid } from '../errors.js';
import { UNSET, type BoundValue } from '../protocol/buffer.js';
import type { ColumnDef, TableDef } from '../schema/catalog.js';
import { encodeSmallint, splitCollection, splitTupleLike, T, type CqlType } from '../schema/types.js';
import { timeuuidFromMicros } from '../timeuuid.js';
import { partitionKeyBytes } from '../murmur3.js';
import { liveElems, rowMut, staticMut, type CellMut, type ElemMut, type PartMut, type RowMut } from '../storage/mutation.js';
import { isColl, NO_TS, type Bound, type RangeTomb } from '../storage/table-store.js';
import { restrictionsOf, tokenOf } from '../storage/select.js';
import type { Assignment, DeleteStmt, InsertStmt, ModificationStmt, Term, UpdateStmt } from './ast.js';
import { evalTerm, type EvalContext } from './values.js';

export interface ModContext extends EvalContext {
  timestamp: number;
  nowMs: number;
  /** Cell keys for list elements: increasing for appends, decreasing for prepends. */
  listKey(prepend: boolean): Buffer;
}

const MAX_TTL = 20 * 365 * 86400;

function val(term: Term, type: CqlType, ctx: EvalContext, what: string): BoundValue {
  return evalTerm(term, type, ctx, what);
}

function timestampOf(stmt: ModificationStmt, ctx: ModContext): number {
  if (!stmt.timestamp) return ctx.timestamp;
  const v = val(stmt.timestamp, T.bigint, ctx, '[timestamp]');
  if (v === null || v === UNSET) throw invalid('Invalid null value of timestamp');
  return Number(v.readBigInt64BE(0));
}

function ttlOf(stmt: ModificationStmt, table: TableDef, ctx: ModContext): number {
  if (stmt.ttl) {
    const v = val(stmt.ttl, T.int, ctx, '[ttl]');
    if (v === null || v === UNSET) return 0;
    const n = v.readInt32BE(0);
    if (n < 0) throw invalid('A TTL must be greater or equal to 0, but was ' + n);
    if (n > MAX_TTL) throw invalid(`ttl is too large. requested (${n}) maximum (${MAX_TTL})`);
    return n;
  }
  const d = table.options.get('default_time_to_live');
  return d ? Number(d.v) : 0;
}

function newPart(table: TableDef, pk: Buffer[]): PartMut {
  return {
    table,
    pk,
    key: partitionKeyBytes(pk).toString('latin1'),
    token: tokenOf(table, pk),
    pdel: NO_TS,
    ranges: [],
    srow: null,
    rows: new Map(),
  };
}

function cartesian(lists: Buffer[][]): Buffer[][] {
  let out: Buffer[][] = [[]];
  for (const l of lists) out = out.flatMap((prefix) => l.map((v) => [...prefix, v]));
  return out;
}

/** Element cells for a whole collection/UDT value. */
function elemsOf(col: ColumnDef, v: Buffer, ts: number, ttl: number, ctx: ModContext, prepend = false): ElemMut[] {
  const t = col.type;
  switch (t.kind) {
    case 'set':
      return splitCollection(v).map((k) => ({ k, v: Buffer.alloc(0), ts, ttl }));
    case 'map': {
      const n = v.readInt32BE(0);
      const parts: Buffer[] = [];
      let off = 4;
      for (let i = 0; i < n * 2; i++) {
        const len = v.readInt32BE(off);
        off += 4;
        parts.push(v.subarray(off, off + len));
        off += len;
      }
      const out: ElemMut[] = [];
      for (let i = 0; i < parts.length; i += 2) out.push({ k: parts[i]!, v: parts[i + 1]!, ts, ttl });
      return out;
    }
    case 'list': {
      const items = splitCollection(v);
      if (prepend) {
        const keys = items.map(() => ctx.listKey(true)).reverse();
        return items.map((x, i) => ({ k: keys[i]!, v: x, ts, ttl }));
      }
      return items.map((x) => ({ k: ctx.listKey(false), v: x, ts, ttl }));
    }
    case 'udt': {
      const fields = splitTupleLike(v);
      const out: ElemMut[] = [];
      fields.forEach((f, i) => {
        if (f !== null) out.push({ k: encodeSmallint(i), v: f, ts, ttl });
      });
      return out;
    }
    default:
      throw invalid(`Invalid operation on column ${col.name}`);
  }
}

function setColumn(target: RowMut, col: ColumnDef, v: Buffer | null, ts: number, ttl: number, ctx: ModContext): void {
  if (!col.multiCell) {
    target.cells.set(col.ordinal, { kind: 'a', v, ts, ttl: v === null ? 0 : ttl });
    return;
  }
  const empty = v === null || (col.type.kind !== 'udt' && v.readInt32BE(0) === 0);
  const cm: CellMut = { kind: 'c', tomb: ts - 1, elems: empty ? [] : elemsOf(col, v!, ts, ttl, ctx) };
  mergeCell(target, col, cm);
}

function mergeCell(target: RowMut, col: ColumnDef, cm: CellMut): void {
  const existing = target.cells.get(col.ordinal);
  if (existing && existing.kind === 'c' && cm.kind === 'c') {
    existing.tomb = Math.max(existing.tomb, cm.tomb);
    existing.elems.push(...cm.elems);
  } else target.cells.set(col.ordinal, cm);
}

function column(table: TableDef, name: string): ColumnDef {
  const c = table.byName.get(name);
  if (!c) throw invalid(`Unknown identifier ${name}`);
  return c;
}

interface Keys {
  pks: Buffer[][];
  cks: Buffer[][] | null;
}

function keysFromWhere(stmt: UpdateStmt | DeleteStmt, table: TableDef, ctx: ModContext): Keys & { restr: ReturnType<typeof restrictionsOf> } {
  const restr = restrictionsOf(stmt.where, table, ctx);
  if (restr.tokenLo || restr.tokenHi) throw invalid('The token function cannot be used in WHERE clauses for UPDATE and DELETE statements');
  if (restr.filters.length > 0) throw invalid(`Non PRIMARY KEY columns found in where clause: ${restr.filters.map((f) => f.col.name).join(', ')}`);
  const missing = table.pk.filter((c) => !restr.pk.has(c.position));
  if (missing.length > 0) throw invalid(`Some partition key parts are missing: ${missing.map((c) => c.name).join(', ')}`);
  const pks = cartesian(table.pk.map((c) => restr.pk.get(c.position)!));
  const fullCk = restr.ck.every((c) => c.eq && !c.lo && !c.hi);
  const cks = table.ck.length > 0 && fullCk ? cartesian(restr.ck.map((c) => c.eq!)) : table.ck.length === 0 ? [[]] : null;
  return { pks, cks, restr };
}

export function buildInsert(stmt: InsertStmt, table: TableDef, ctx: ModContext): PartMut[] {
  const ts = timestampOf(stmt, ctx);
  const ttl = ttlOf(stmt, table, ctx);
  const values = new Map<string, BoundValue>();
  stmt.columns.forEach((name, i) => {
    const c = column(table, name);
    if (values.has(name)) throw invalid(`Multiple definitions found for column ${name}`);
    values.set(name, val(stmt.values[i]!, c.type, ctx, name));
  });
  const keyOf = (c: ColumnDef): Buffer => {
    const v = values.get(c.name);
    if (v === undefined) throw invalid(`Some ${c.kind === 'partition_key' ? 'partition' : 'clustering'} key parts are missing: ${c.name}`);
    if (v === null || v === UNSET) throw invalid(`Invalid null value in condition for column ${c.name}`);
    return v;
  };
  const pk = table.pk.map(keyOf);
  const hasRegular = stmt.columns.some((n) => table.byName.get(n)!.kind === 'regular');
  const ckGiven = table.ck.some((c) => values.has(c.name));
  const pm = newPart(table, pk);
  let row: RowMut | null = null;
  if (table.ck.length === 0 || ckGiven || hasRegular) {
    row = rowMut(pm, table.ck.map(keyOf));
    row.mts = ts;
    row.mttl = ttl;
  }
  for (const [name, v] of values) {
    const c = table.byName.get(name)!;
    if (c.kind === 'partition_key' || c.kind === 'clustering' || v === UNSET) continue;
    setColumn(c.kind === 'static' ? staticMut(pm) : row!, c, v, ts, ttl, ctx);
  }
  return [pm];
}

function currentColl(table: TableDef, pm: PartMut, ck: Buffer[] | null, col: ColumnDef, nowMs: number): ElemMut[] {
  const p = table.store.get(pm.key);
  if (!p) return [];
  const row = ck === null ? p.srow : table.store.findRow(p, ck);
  const c = row?.cells[col.ordinal];
  if (!c || !isColl(c)) return [];
  return liveElems(c, nowMs).map((e) => ({ k: e.k, v: e.v, ts: e.ts, ttl: e.ttl }));
}

function applyAssignment(a: Assignment, table: TableDef, pm: PartMut, ck: Buffer[] | null, target: RowMut, ts: number, ttl: number, ctx: ModContext): void {
  const col = column(table, a.col);
  if (col.kind === 'partition_key' || col.kind === 'clustering') throw invalid(`PRIMARY KEY part ${col.name} found in SET part`);
  const t = col.type;
  switch (a.k) {
    case 'set': {
      const v = val(a.value, t, ctx, col.name);
      if (v === UNSET) return;
      setColumn(target, col, v, ts, ttl, ctx);
      return;
    }
    case 'add':
    case 'prepend': {
      if (t.kind === 'native' && t.name === 'counter') throw invalid('Counter updates are not supported by the emulator');
      if (!col.multiCell || t.kind === 'udt' || (a.k === 'prepend' && t.kind !== 'list'))
        throw invalid(`Invalid operation (${col.name} = ${col.name} + ?) for non counter column ${col.name}`);
      const v = val(a.value, t.kind === 'map' ? t : t, ctx, col.name);
      if (v === UNSET || v === null) return;
      mergeCell(target, col, { kind: 'c', tomb: NO_TS, elems: elemsOf(col, v, ts, ttl, ctx, a.k === 'prepend') });
      return;
    }
    case 'remove': {
      if (!col.multiCell || t.kind === 'udt') throw invalid(`Invalid operation (${col.name} = ${col.name} - ?) for non counter column ${col.name}`);
      const keyType: CqlType = t.kind === 'map' ? { kind: 'set', elem: t.key, frozen: true } : t;
      const v = val(a.value, keyType, ctx, col.name);
      if (v === UNSET || v === null) return;
      let keys: Buffer[];
      if (t.kind === 'list') {
        const drop = splitCollection(v);
        keys = currentColl(table, pm, ck, col, ctx.nowMs)
          .filter((e) => e.v && drop.some((d) => d.equals(e.v!)))
          .map((e) => e.k);
      } else keys = splitCollection(v);
      mergeCell(target, col, { kind: 'c', tomb: NO_TS, elems: keys.map((k) => ({ k, v: null, ts, ttl: 0 })) });
      return;
    }
    case 'elem': {
      if (!col.multiCell || (t.kind !== 'map' && t.kind !== 'list')) throw invalid(`Invalid operation (${col.name}[?] = ?) for non-collection column ${col.name}`);
      const elemType = t.kind === 'map' ? t.value : t.elem;
      const v = val(a.value, elemType, ctx, col.name);
      if (v === UNSET) return;
      let k: Buffer;
      if (t.kind === 'map') {
        const kv = val(a.key, t.key, ctx, col.name);
        if (kv === null || kv === UNSET) throw invalid(`Invalid null value for map key of ${col.name}`);
        k = kv;
      } else {
        const iv = val(a.key, T.int, ctx, col.name);
        if (iv === null || iv === UNSET) throw invalid('Invalid null value for list index');
        const idx = iv.readInt32BE(0);
        const cur = currentColl(table, pm, ck, col, ctx.nowMs);
        if (idx < 0 || idx >= cur.length) throw invalid(`List index ${idx} out of bound, list has size ${cur.length}`);
        k = cur[idx]!.k;
      }
      mergeCell(target, col, { kind: 'c', tomb: NO_TS, elems: [{ k, v, ts, ttl: v === null ? 0 : ttl }] });
      return;
    }
    case 'field': {
      if (t.kind !== 'udt') throw invalid(`Invalid field selection: ${col.name} of type ${t.kind} is not a user type`);
      const idx = t.fieldNames.indexOf(a.field);
      if (idx < 0) throw invalid(`UDT column ${col.name} does not have a field named ${a.field}`);
      const v = val(a.value, t.fieldTypes[idx]!, ctx, `${col.name}.${a.field}`);
      if (v === UNSET) return;
      if (!t.frozen) {
        mergeCell(target, col, { kind: 'c', tomb: NO_TS, elems: [{ k: encodeSmallint(idx), v, ts, ttl: v === null ? 0 : ttl }] });
        return;
      }
      throw invalid(`Invalid operation (${col.name}.${a.field} = ?) for frozen UDT column ${col.name}`);
    }
  }
}

export function buildUpdate(stmt: UpdateStmt, table: TableDef, ctx: ModContext): PartMut[] {
  const ts = timestampOf(stmt, ctx);
  const ttl = ttlOf(stmt, table, ctx);
  const { pks, cks } = keysFromWhere(stmt, table, ctx);
  const onlyStatic = stmt.assignments.every((a) => table.byName.get(a.col)?.kind === 'static');
  if (!cks && !(onlyStatic && stmt.where.every((r) => r.k !== 'col' || table.byName.get(r.col)?.kind !== 'clustering'))) {
    throw invalid(`Missing mandatory PRIMARY KEY part ${table.ck.find((c) => !stmt.where.some((r) => r.k === 'col' && r.col === c.name))?.name ?? table.ck[0]?.name}`);
  }
  const out: PartMut[] = [];
  for (const pk of pks) {
    const pm = newPart(table, pk);
    for (const a of stmt.assignments) {
      const col = column(table, a.col);
      if (col.kind === 'static') applyAssignment(a, table, pm, null, staticMut(pm), ts, ttl, ctx);
    }
    if (cks && !onlyStatic) {
      for (const ck of cks) {
        const row = rowMut(pm, ck);
        for (const a of stmt.assignments) {
          if (table.byName.get(a.col)?.kind !== 'static') applyAssignment(a, table, pm, ck, row, ts, ttl, ctx);
        }
      }
    }
    out.push(pm);
  }
  return out;
}

export function buildDelete(stmt: DeleteStmt, table: TableDef, ctx: ModContext): PartMut[] {
  if (stmt.ttl) throw invalid('TTL attribute is not allowed for DELETE statements');
  const ts = timestampOf(stmt, ctx);
  const { pks, cks, restr } = keysFromWhere(stmt, table, ctx);
  const out: PartMut[] = [];
  for (const pk of pks) {
    const pm = newPart(table, pk);
    out.push(pm);
    if (stmt.targets.length > 0) {
      const anyRegular = stmt.targets.some((t) => table.byName.get(t.col)?.kind === 'regular');
      if (anyRegular && !cks) throw invalid(`Missing mandatory PRIMARY KEY part ${table.ck[0]?.name ?? ''}`);
      const rows = anyRegular ? cks!.map((ck) => rowMut(pm, ck)) : [];
      for (const tgt of stmt.targets) {
        const col = column(table, tgt.col);
        if (col.kind === 'partition_key' || col.kind === 'clustering') throw invalid(`Invalid identifier ${col.name} for deletion (should not be a PRIMARY KEY part)`);
        const targets = col.kind === 'static' ? [{ row: staticMut(pm), ck: null as Buffer[] | null }] : rows.map((r) => ({ row: r, ck: r.ck }));
        for (const { row, ck } of targets) {
          if (tgt.key === undefined && tgt.field === undefined) {
            if (col.multiCell) mergeCell(row, col, { kind: 'c', tomb: ts, elems: [] });
            else row.cells.set(col.ordinal, { kind: 'a', v: null, ts, ttl: 0 });
            continue;
          }
          const t = col.type;
          let k: Buffer;
          if (tgt.field !== undefined) {
            if (t.kind !== 'udt' || t.frozen) throw invalid(`Invalid deletion operation for column ${col.name}`);
            const idx = t.fieldNames.indexOf(tgt.field);
            if (idx < 0) throw invalid(`UDT column ${col.name} does not have a field named ${tgt.field}`);
            k = encodeSmallint(idx);
          } else if (t.kind === 'map' && col.multiCell) {
            const kv = val(tgt.key!, t.key, ctx, col.name);
            if (kv === null || kv === UNSET) throw invalid(`Invalid null value for map key of ${col.name}`);
            k = kv;
          } else if (t.kind === 'list' && col.multiCell) {
            const iv = val(tgt.key!, T.int, ctx, col.name);
            if (iv === null || iv === UNSET) throw invalid('Invalid null value for list index');
            const cur = currentColl(table, pm, ck, col, ctx.nowMs);
            const idx = iv.readInt32BE(0);
            if (idx < 0 || idx >= cur.length) throw invalid(`List index ${idx} out of bound, list has size ${cur.length}`);
            k = cur[idx]!.k;
          } else throw invalid(`Invalid deletion operation for column ${col.name}`);
          mergeCell(row, col, { kind: 'c', tomb: NO_TS, elems: [{ k, v: null, ts, ttl: 0 }] });
        }
      }
      continue;
    }
    const ckRestricted = restr.ck.some((c) => c.eq || c.lo || c.hi);
    if (!ckRestricted) {
      pm.pdel = ts;
      continue;
    }
    if (cks) {
      for (const ck of cks) rowMut(pm, ck).del = ts;
      continue;
    }
    for (const rt of rangeTombstones(table, restr.ck, ts)) pm.ranges.push(rt);
  }
  return out;
}

/** Clustering restrictions → range tombstones with bounds in clustering order. */
function rangeTombstones(table: TableDef, ck: ReturnType<typeof restrictionsOf>['ck'], ts: number): RangeTomb[] {
  const prefixLists: Buffer[][] = [];
  let i = 0;
  for (; i < ck.length; i++) {
    const c = ck[i]!;
    if (c.eq && !c.lo && !c.hi) {
      prefixLists.push(c.eq);
      continue;
    }
    break;
  }
  const slice = ck[i];
  for (let j = i + 1; j < ck.length; j++) {
    const c = ck[j]!;
    if (c.eq || c.lo || c.hi) throw invalid(`PRIMARY KEY column "${table.ck[j]!.name}" cannot be restricted as preceding column "${table.ck[i]!.name}" is not restricted`);
  }
  if (slice?.eq) throw invalid('IN and slice restrictions on the same column are not supported');
  const out: RangeTomb[] = [];
  for (const prefix of cartesian(prefixLists)) {
    let start: Bound = { prefix, incl: true };
    let end: Bound = { prefix, incl: true };
    if (slice && (slice.lo || slice.hi)) {
      const desc = table.ck[i]!.desc;
      const lo = slice.lo ? { prefix: [...prefix, slice.lo.v], incl: slice.lo.incl } : { prefix, incl: true };
      const hi = slice.hi ? { prefix: [...prefix, slice.hi.v], incl: slice.hi.incl } : { prefix, incl: true };
      start = desc ? hi : lo;
      end = desc ? lo : hi;
      if (slice.lo && slice.hi) {
        // A slice that selects nothing (ck < 1 AND ck > 2) deletes nothing and logs nothing
        // (scylladb test/boost/cdc_test.cc test_change_splitting, "degenerate row range").
        const c = table.ck[i]!.cmp(start.prefix[i]!, end.prefix[i]!);
        if (c > 0 || (c === 0 && !(start.incl && end.incl))) continue;
      }
    }
    out.push({ start, end, ts });
  }
  return out;
}

export function buildModification(stmt: ModificationStmt, table: TableDef, ctx: ModContext): PartMut[] {
  switch (stmt.type) {
    case 'insert':
      return buildInsert(stmt, table, ctx);
    case 'update':
      return buildUpdate(stmt, table, ctx);
    case 'delete':
      return buildDelete(stmt, table, ctx);
  }
}

export function makeListKeyGen(rng: EvalContext['rng'], nowMicros: () => number): (prepend: boolean) => Buffer {
  let last = 0;
  let prependCursor = Date.UTC(2010, 0, 1) * 1000;
  return (prepend) => {
    if (prepend) return timeuuidFromMicros(prependCursor--, rng);
    last = Math.max(last + 1, nowMicros());
    return timeuuidFromMicros(last, rng);
  };
}
