// SELECT over stored partitions: partition-key / token / clustering restrictions, ORDER BY,
// LIMIT, PER PARTITION LIMIT, paging, COUNT/MIN/MAX, WRITETIME/TTL and token() selectors.
import { invalid } from '../errors.js';
import type { Op, Relation, SelectStmt, Selector, Term } from '../cql/ast.js';
import { evalTerm, type EvalContext } from '../cql/values.js';
import { UNSET } from '../protocol/buffer.js';
import type { Writer } from '../protocol/buffer.js';
import type { ColumnDef, TableDef } from '../schema/catalog.js';
import { comparatorFor, encodeBigint, encodeInt, splitCollection, T, type Comparator, type CqlType } from '../schema/types.js';
import { murmur3Token, partitionKeyBytes } from '../murmur3.js';
import { timeuuidMillis } from '../timeuuid.js';
import { readValue, rowLive } from './mutation.js';
import { cellLive, isColl, type Partition, type Row } from './table-store.js';

export interface OutCol {
  name: string;
  type: CqlType;
  get: (p: Partition, row: Row | null, vals: (Buffer | null)[] | null) => Buffer | null;
  col?: ColumnDef;
}

export interface SelectPlan {
  table: TableDef;
  cols: OutCol[];
  star: boolean;
  aggregate: { fn: 'count' | 'min' | 'max'; col?: ColumnDef; name: string; type: CqlType }[] | null;
}

function nameOf(sel: Selector, dflt: string): string {
  return 'alias' in sel && sel.alias ? sel.alias : dflt;
}

function column(table: TableDef, name: string): ColumnDef {
  const c = table.byName.get(name);
  if (!c) throw invalid(`Undefined column name ${name}`);
  return c;
}

/** Decodes a pre-encoded log row into values indexed by ordinal. */
function decodeEnc(row: Row): (Buffer | null)[] {
  const enc = row.enc!;
  const lay = row.lay!;
  const out: (Buffer | null)[] = [];
  let off = 0;
  for (let i = 0; i < lay.length; i++) {
    const len = enc.readInt32BE(off);
    off += 4;
    if (len < 0) {
      out[lay[i]!] = null;
      continue;
    }
    out[lay[i]!] = enc.subarray(off, off + len);
    off += len;
  }
  return out;
}

function columnGetter(c: ColumnDef, now: () => number): OutCol['get'] {
  switch (c.kind) {
    case 'partition_key': {
      const i = c.position;
      return (p) => p.pk[i] ?? null;
    }
    case 'clustering': {
      const i = c.position;
      return (_p, row) => (row ? (row.ck[i] ?? null) : null);
    }
    case 'static':
      return (p) => (p.srow ? readValue(c, p.srow.cells[c.ordinal], now()) : null);
    case 'regular':
      return (_p, row, vals) => {
        if (!row) return null;
        if (vals) return vals[c.ordinal] ?? null;
        return readValue(c, row.cells[c.ordinal], now());
      };
  }
}

export function planSelect(stmt: SelectStmt, table: TableDef, now: () => number): SelectPlan {
  const cols: OutCol[] = [];
  let star = false;
  const aggs: NonNullable<SelectPlan['aggregate']> = [];
  for (const sel of stmt.selectors) {
    switch (sel.k) {
      case 'star':
        star = true;
        for (const c of table.columns) cols.push({ name: c.name, type: c.type, get: columnGetter(c, now), col: c });
        break;
      case 'col': {
        const c = column(table, sel.name);
        cols.push({ name: nameOf(sel, c.name), type: c.type, get: columnGetter(c, now), col: c });
        break;
      }
      case 'count':
        aggs.push({ fn: 'count', name: nameOf(sel, 'count'), type: T.bigint });
        break;
      case 'agg': {
        const c = column(table, sel.col);
        if (sel.fn === 'count') aggs.push({ fn: 'count', col: c, name: nameOf(sel, `system.count(${c.name})`), type: T.bigint });
        else if (sel.fn === 'min' || sel.fn === 'max') aggs.push({ fn: sel.fn, col: c, name: nameOf(sel, `system.${sel.fn}(${c.name})`), type: c.type });
        else throw invalid(`Aggregate ${sel.fn} is not supported by the emulator`);
        break;
      }
      case 'writetime':
      case 'ttl': {
        const c = column(table, sel.col);
        if (c.kind === 'partition_key' || c.kind === 'clustering') throw invalid(`Cannot use selection function ${sel.k} on PRIMARY KEY part ${c.name}`);
        if (c.multiCell) throw invalid(`Cannot use selection function ${sel.k} on non-frozen collection ${c.name}`);
        const isTtl = sel.k === 'ttl';
        cols.push({
          name: nameOf(sel, `${sel.k}(${c.name})`),
          type: isTtl ? T.int : T.bigint,
          get: (p, row) => {
            const r = c.kind === 'static' ? p.srow : row;
            if (r?.enc) {
              // A log row: every cell has the base write's timestamp and the log TTL.
              if (decodeEnc(r)[c.ordinal] === null) return null;
              if (isTtl) return r.mexp === 0 ? null : encodeInt(Math.max(0, Math.ceil((r.mexp - now()) / 1000)));
              return encodeBigint(r.mts);
            }
            const cell = r?.cells[c.ordinal];
            if (!cell || isColl(cell) || !cellLive(cell, now())) return null;
            if (isTtl) return cell.exp === 0 ? null : encodeInt(Math.max(0, Math.ceil((cell.exp - now()) / 1000)));
            return encodeBigint(cell.ts);
          },
        });
        break;
      }
      case 'token':
        cols.push({ name: nameOf(sel, `system.token(${sel.cols.join(', ')})`), type: T.bigint, get: (p) => encodeBigint(p.token) });
        break;
      case 'fn': {
        const c = column(table, sel.col);
        const g = columnGetter(c, now);
        const fn = sel.fn;
        if (fn === 'tounixtimestamp' || fn === 'totimestamp') {
          const conv = (v: Buffer): Buffer => (c.type.kind === 'native' && c.type.name === 'timeuuid' ? encodeBigint(timeuuidMillis(v)) : v);
          cols.push({
            name: nameOf(sel, `system.${fn}(${c.name})`),
            type: fn === 'totimestamp' ? T.timestamp : T.bigint,
            get: (p, r, v) => {
              const x = g(p, r, v);
              return x ? conv(x) : null;
            },
          });
        } else if (fn.endsWith('asblob') || fn.startsWith('blobas')) {
          cols.push({ name: nameOf(sel, `system.${fn}(${c.name})`), type: fn.endsWith('asblob') ? T.blob : c.type, get: g });
        } else throw invalid(`Unknown function ${fn}`);
        break;
      }
    }
  }
  if (aggs.length > 0 && cols.length > 0) throw invalid('Cannot mix aggregate and non-aggregate selectors (emulator)');
  return { table, cols, star, aggregate: aggs.length > 0 ? aggs : null };
}

interface Slice {
  v: Buffer;
  incl: boolean;
}
interface CkRestriction {
  eq?: Buffer[];
  lo?: Slice;
  hi?: Slice;
}

interface Restrictions {
  pk: Map<number, Buffer[]>;
  tokenLo?: { t: bigint; incl: boolean };
  tokenHi?: { t: bigint; incl: boolean };
  ck: CkRestriction[];
  filters: { col: ColumnDef; op: Op; values: Buffer[] }[];
}

function termValues(term: Term, inList: Term[] | undefined, op: Op, type: CqlType, ctx: EvalContext, what: string): Buffer[] {
  if (op === 'IN') {
    if (inList) return inList.map((t) => evalNonNull(t, type, ctx, what));
    const v = evalTerm(term, { kind: 'list', elem: type, frozen: true }, ctx, what);
    if (v === null || v === UNSET) throw invalid(`Invalid null value for IN restriction on ${what}`);
    return splitCollection(v);
  }
  return [evalNonNull(term, type, ctx, what)];
}

function evalNonNull(term: Term, type: CqlType, ctx: EvalContext, what: string): Buffer {
  const v = evalTerm(term, type, ctx, what);
  if (v === null) throw invalid(`Invalid null value in condition for column ${what}`);
  if (v === UNSET) throw invalid(`Invalid unset value for column ${what}`);
  return v;
}

export function restrictionsOf(where: Relation[], table: TableDef, ctx: EvalContext): Restrictions {
  const r: Restrictions = { pk: new Map(), ck: table.ck.map(() => ({})), filters: [] };
  for (const rel of where) {
    if (rel.k === 'token') {
      const v = evalNonNull(rel.value, T.bigint, ctx, 'partition key token');
      const t = v.readBigInt64BE(0);
      if (rel.op === '>' || rel.op === '>=') r.tokenLo = { t, incl: rel.op === '>=' };
      else if (rel.op === '<' || rel.op === '<=') r.tokenHi = { t, incl: rel.op === '<=' };
      else if (rel.op === '=') {
        r.tokenLo = { t, incl: true };
        r.tokenHi = { t, incl: true };
      } else throw invalid(`Unsupported token restriction ${rel.op}`);
      continue;
    }
    if (rel.k === 'multi') {
      if (rel.op !== '=' || rel.value.k !== 'tuple') throw invalid('Multi-column relations other than equality are not supported by the emulator');
      rel.cols.forEach((name, i) => {
        const c = column(table, name);
        const item = (rel.value as Extract<Term, { k: 'tuple' }>).items[i]!;
        if (c.kind !== 'clustering') throw invalid(`Multi-column relations can only be applied to clustering columns but was applied to: ${name}`);
        r.ck[c.position]!.eq = [evalNonNull(item, c.type, ctx, c.name)];
      });
      continue;
    }
    const c = column(table, rel.col);
    const values = termValues(rel.value, rel.inList, rel.op, c.type, ctx, c.name);
    if (c.kind === 'partition_key') {
      if (rel.op !== '=' && rel.op !== 'IN') throw invalid(`Only EQ and IN relation are supported on the partition key (unless you use the token() function)`);
      r.pk.set(c.position, values);
    } else if (c.kind === 'clustering' && rel.op !== '!=' && rel.op !== 'CONTAINS' && rel.op !== 'CONTAINS KEY') {
      const cr = r.ck[c.position]!;
      if (rel.op === '=' || rel.op === 'IN') cr.eq = values;
      else if (rel.op === '>' || rel.op === '>=') cr.lo = { v: values[0]!, incl: rel.op === '>=' };
      else cr.hi = { v: values[0]!, incl: rel.op === '<=' };
    } else {
      r.filters.push({ col: c, op: rel.op, values });
    }
  }
  return r;
}

function cartesian(lists: Buffer[][]): Buffer[][] {
  let out: Buffer[][] = [[]];
  for (const l of lists) out = out.flatMap((prefix) => l.map((v) => [...prefix, v]));
  return out;
}

export function tokenOf(table: TableDef, pk: Buffer[]): bigint {
  const bytes = partitionKeyBytes(pk);
  return table.partitioner === 'cdc' ? (bytes.length >= 8 ? bytes.readBigInt64BE(0) : -(1n << 63n)) : murmur3Token(bytes);
}

interface PagingPos {
  key: string;
  token: bigint;
  ck: Buffer[] | null;
  n: number;
  pn: number;
}

function encodePaging(pos: PagingPos): Buffer {
  return Buffer.from(
    JSON.stringify({
      k: Buffer.from(pos.key, 'latin1').toString('base64'),
      t: pos.token.toString(),
      c: pos.ck ? pos.ck.map((b) => b.toString('base64')) : null,
      n: pos.n,
      pn: pos.pn,
    }),
  );
}

function decodePaging(b: Buffer): PagingPos {
  try {
    const o = JSON.parse(b.toString()) as { k: string; t: string; c: string[] | null; n: number; pn: number };
    return { key: Buffer.from(o.k, 'base64').toString('latin1'), token: BigInt(o.t), ck: o.c ? o.c.map((s) => Buffer.from(s, 'base64')) : null, n: o.n, pn: o.pn };
  } catch {
    throw invalid('Invalid value for the paging state');
  }
}

export interface SelectResult {
  rowCount: number;
  pagingState: Buffer | null;
}

const valueCmpCache = new WeakMap<ColumnDef, Comparator>();
function valueCmp(c: ColumnDef): Comparator {
  let f = valueCmpCache.get(c);
  if (!f) {
    f = comparatorFor(c.type);
    valueCmpCache.set(c, f);
  }
  return f;
}

function sliceOk(cmp: Comparator, v: Buffer, cr: CkRestriction): boolean {
  if (cr.eq) {
    let hit = false;
    for (const e of cr.eq)
      if (cmp(v, e) === 0) {
        hit = true;
        break;
      }
    if (!hit) return false;
  }
  if (cr.lo) {
    const c = cmp(v, cr.lo.v);
    if (c < 0 || (c === 0 && !cr.lo.incl)) return false;
  }
  if (cr.hi) {
    const c = cmp(v, cr.hi.v);
    if (c > 0 || (c === 0 && !cr.hi.incl)) return false;
  }
  return true;
}

/** Runs the query and writes the result rows into `w` (caller writes metadata and count). */
export function runSelect(stmt: SelectStmt, plan: SelectPlan, ctx: EvalContext, pageSize: number, pagingState: Buffer | null, nowMs: number, w: Writer): SelectResult {
  const table = plan.table;
  const r = restrictionsOf(stmt.where, table, ctx);
  const limit = stmt.limit ? intOf(stmt.limit, ctx, 'limit') : Infinity;
  const ppl = stmt.perPartitionLimit ? intOf(stmt.perPartitionLimit, ctx, 'per partition limit') : Infinity;
  if (r.filters.some((f) => f.col.kind === 'regular' || f.col.kind === 'static') && !stmt.allowFiltering) {
    throw invalid(
      'Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING',
    );
  }

  // Partitions, in ring order.
  let parts: Partition[];
  if (r.pk.size === table.pk.length) {
    const keys = cartesian(table.pk.map((c) => r.pk.get(c.position)!));
    const seen = new Set<string>();
    parts = [];
    for (const k of keys) {
      const key = partitionKeyBytes(k).toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
      const p = table.store.get(key);
      if (p) parts.push(p);
    }
    parts.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  } else {
    if (r.pk.size > 0 && !stmt.allowFiltering)
      throw invalid(
        'Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING',
      );
    parts = table.store.sortedPartitions();
    if (r.tokenLo || r.tokenHi) {
      const lo = r.tokenLo;
      const hi = r.tokenHi;
      parts = parts.filter((p) => (!lo || (lo.incl ? p.token >= lo.t : p.token > lo.t)) && (!hi || (hi.incl ? p.token <= hi.t : p.token < hi.t)));
    }
    if (r.pk.size > 0) {
      parts = parts.filter((p) => [...r.pk].every(([i, vals]) => vals.some((v) => v.equals(p.pk[i]!))));
    }
  }

  const reversed =
    stmt.orderBy.length > 0 &&
    (() => {
      const [name, dir] = stmt.orderBy[0]!;
      const c = column(table, name);
      if (c.kind !== 'clustering') throw invalid(`Order by is currently only supported on the clustered columns of the PRIMARY KEY, got ${name}`);
      if (r.pk.size !== table.pk.length) throw invalid('ORDER BY is only supported when the partition key is restricted by an EQ or an IN.');
      return (dir === 'DESC') !== c.desc;
    })();

  let resume: PagingPos | null = pagingState ? decodePaging(pagingState) : null;
  let emitted = resume ? resume.n : 0;
  let pageCount = 0;
  const hasCk = r.ck.some((c) => c.eq || c.lo || c.hi);
  const filtersOk = (p: Partition, row: Row | null, vals: (Buffer | null)[] | null): boolean => {
    for (const f of r.filters) {
      const v = columnGetter(f.col, () => nowMs)(p, row, vals);
      if (!filterMatch(f.col, f.op, v, f.values)) return false;
    }
    return true;
  };
  const agg = plan.aggregate ? plan.aggregate.map(() => ({ count: 0, best: null as Buffer | null })) : null;
  const emit = (p: Partition, row: Row | null, vals: (Buffer | null)[] | null): void => {
    if (agg) {
      plan.aggregate!.forEach((a, i) => {
        const st = agg[i]!;
        if (a.fn === 'count' && !a.col) {
          st.count++;
          return;
        }
        const v = columnGetter(a.col!, () => nowMs)(p, row, vals);
        if (v === null) return;
        st.count++;
        if (a.fn === 'count') return;
        const cmp = valueCmp(a.col!);
        if (st.best === null || (a.fn === 'min' ? cmp(v, st.best) < 0 : cmp(v, st.best) > 0)) st.best = v;
      });
      return;
    }
    if (plan.star && row?.enc && row.lay === table.layout && !p.srow) {
      w.raw(row.enc);
      return;
    }
    for (const c of plan.cols) w.bytes(c.get(p, row, vals));
  };
  const sliceFirst = r.ck[0];
  const firstCol = table.ck[0];

  let startPart = 0;
  if (resume) {
    const rs = resume;
    startPart = parts.findIndex((p) => p.token > rs.token || (p.token === rs.token && p.key >= rs.key));
    if (startPart < 0) startPart = parts.length;
  }
  outer: for (let pi = startPart; pi < parts.length; pi++) {
    const p = parts[pi]!;
    let pn = 0;
    let skipUntil: Buffer[] | null = null;
    if (resume && p.key === resume.key) {
      pn = resume.pn;
      if (resume.ck === null) {
        resume = null;
        continue;
      }
      skipUntil = resume.ck;
    }
    resume = null;
    if (pn >= ppl) continue;
    if (stmt.distinct) {
      if (p.rows.some((row) => rowLive(row, nowMs)) || (p.srow && rowLive(p.srow, nowMs))) {
        emit(p, null, null);
        emitted++;
        pageCount++;
        if (!agg && (emitted >= limit || pageCount >= pageSize)) {
          if (emitted < limit && pi + 1 < parts.length) return { rowCount: pageCount, pagingState: encodePaging({ key: p.key, token: p.token, ck: null, n: emitted, pn: 1 }) };
          break;
        }
      }
      continue;
    }
    const rows = p.rows;
    let any = false;
    let lo = 0;
    let hi = rows.length;
    // Narrow by the first clustering column with a binary search (the log's cdc$time window).
    if (sliceFirst && firstCol && (sliceFirst.lo || sliceFirst.hi || sliceFirst.eq?.length === 1)) {
      const vcmp = valueCmp(firstCol);
      const pass = (row: Row, side: 'lo' | 'hi'): boolean => {
        const v = row.ck[0]!;
        const bound = side === 'lo' ? (sliceFirst.eq ? { v: sliceFirst.eq[0]!, incl: true } : sliceFirst.lo) : sliceFirst.eq ? { v: sliceFirst.eq[0]!, incl: true } : sliceFirst.hi;
        if (!bound) return true;
        const c = vcmp(v, bound.v);
        return side === 'lo' ? c > 0 || (c === 0 && bound.incl) : c < 0 || (c === 0 && bound.incl);
      };
      // In clustering order, a DESC column puts high values first.
      const startSide = firstCol.desc ? 'hi' : 'lo';
      const endSide = firstCol.desc ? 'lo' : 'hi';
      let a = 0;
      let b = rows.length;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (pass(rows[m]!, startSide)) b = m;
        else a = m + 1;
      }
      lo = a;
      a = lo;
      b = rows.length;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (pass(rows[m]!, endSide)) a = m + 1;
        else b = m;
      }
      hi = a;
    }
    const step = reversed ? -1 : 1;
    let i = reversed ? hi - 1 : lo;
    if (skipUntil) {
      const s = skipUntil;
      const cmpStored = table.store.ckCompare;
      while (i >= lo && i < hi && (reversed ? cmpStored(rows[i]!.ck, s) >= 0 : cmpStored(rows[i]!.ck, s) <= 0)) i += step;
    }
    for (; i >= lo && i < hi; i += step) {
      const row = rows[i]!;
      if (row.vis !== undefined && row.vis > nowMs) continue;
      if (!rowLive(row, nowMs)) continue;
      if (hasCk) {
        let ok = true;
        for (let k = 0; k < table.ck.length; k++) {
          const cr = r.ck[k]!;
          if (!cr.eq && !cr.lo && !cr.hi) continue;
          if (!sliceOk(valueCmp(table.ck[k]!), row.ck[k]!, cr)) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
      }
      const vals = row.enc && (r.filters.length > 0 || !plan.star || row.lay !== table.layout || p.srow) ? decodeEnc(row) : null;
      if (r.filters.length > 0 && !filtersOk(p, row, vals)) continue;
      any = true;
      emit(p, row, vals);
      emitted++;
      pn++;
      pageCount++;
      if (agg) {
        if (pn >= ppl) break;
        continue;
      }
      if (emitted >= limit) break outer;
      if (pn >= ppl) break;
      if (pageCount >= pageSize) {
        const moreHere = reversed ? i - 1 >= lo : i + 1 < hi;
        if (moreHere || pi + 1 < parts.length) {
          return { rowCount: pageCount, pagingState: encodePaging({ key: p.key, token: p.token, ck: row.ck, n: emitted, pn }) };
        }
        break outer;
      }
    }
    // A partition with only static data still returns one row when no clustering restriction applies.
    if (!any && !hasCk && p.srow && rowLive(p.srow, nowMs) && table.ck.length > 0 && !p.rows.some((row) => rowLive(row, nowMs))) {
      if (r.filters.length > 0 && !filtersOk(p, null, null)) continue;
      emit(p, null, null);
      emitted++;
      pageCount++;
      if (agg) continue;
      if (emitted >= limit) break;
      if (pageCount >= pageSize && pi + 1 < parts.length) {
        return { rowCount: pageCount, pagingState: encodePaging({ key: p.key, token: p.token, ck: null, n: emitted, pn: 1 }) };
      }
    }
  }
  if (agg) {
    plan.aggregate!.forEach((a, i) => {
      const st = agg[i]!;
      w.bytes(a.fn === 'count' ? encodeBigint(st.count) : st.best);
    });
    return { rowCount: 1, pagingState: null };
  }
  return { rowCount: pageCount, pagingState: null };
}

function filterMatch(col: ColumnDef, op: Op, v: Buffer | null, values: Buffer[]): boolean {
  const cmp = valueCmp(col);
  if (op === 'CONTAINS' || op === 'CONTAINS KEY') {
    if (v === null) return false;
    const items = splitCollection(v);
    const t = col.type;
    if (t.kind === 'map') {
      const ks = items.filter((_, i) => i % 2 === 0);
      const vs = items.filter((_, i) => i % 2 === 1);
      return (op === 'CONTAINS KEY' ? ks : vs).some((x) => x.equals(values[0]!));
    }
    return items.some((x) => x.equals(values[0]!));
  }
  if (v === null) return false;
  switch (op) {
    case '=':
      return cmp(v, values[0]!) === 0;
    case 'IN':
      return values.some((x) => cmp(v, x) === 0);
    case '!=':
      return cmp(v, values[0]!) !== 0;
    case '<':
      return cmp(v, values[0]!) < 0;
    case '<=':
      return cmp(v, values[0]!) <= 0;
    case '>':
      return cmp(v, values[0]!) > 0;
    case '>=':
      return cmp(v, values[0]!) >= 0;
  }
}

function intOf(term: Term, ctx: EvalContext, what: string): number {
  const v = evalTerm(term, T.int, ctx, what);
  if (v === null || v === UNSET) throw invalid(`Invalid null value of ${what}`);
  const n = v.readInt32BE(0);
  if (n <= 0) throw invalid(`${what.toUpperCase()} must be strictly positive`);
  return n;
}
