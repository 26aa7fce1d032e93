// Bind-marker metadata for PREPARE: the type each `?` takes from its context, and pk_index
// (which markers carry the partition key) so token-aware drivers can route.
import { invalid } from '../errors.js';
import type { Catalog, TableDef } from '../schema/catalog.js';
import { T, type CqlType } from '../schema/types.js';
import type { Condition, Parsed, QName, Relation, Statement, Term } from './ast.js';

export interface BindSpec {
  keyspace: string;
  table: string;
  name: string;
  type: CqlType;
}

export interface BindInfo {
  specs: BindSpec[];
  pkIndexes: number[];
  table: TableDef | null;
}

export function resolveTable(catalog: Catalog, q: QName, sessionKs: string | null): TableDef {
  return catalog.table(q.keyspace ?? sessionKs ?? undefined, q.name);
}

export function analyzeBinds(parsed: Parsed, catalog: Catalog, sessionKs: string | null): BindInfo {
  const specs: (BindSpec | undefined)[] = new Array(parsed.bindCount);
  const state: { main: TableDef | null } = { main: null };
  const pkBinds = new Map<string, number>();
  const visit = (term: Term, type: CqlType, name: string, t: TableDef): void => {
    switch (term.k) {
      case 'bind':
        specs[term.idx] = { keyspace: t.keyspace, table: t.name, name: term.name ?? name, type };
        return;
      case 'fn':
        term.args.forEach((a, i) => visit(a, term.name === 'mintimeuuid' || term.name === 'maxtimeuuid' || term.name === 'totimestamp' ? T.timestamp : type, `arg${i}`, t));
        return;
      case 'list':
      case 'set':
        if (type.kind === 'list' || type.kind === 'set') term.items.forEach((x) => visit(x, type.elem, name, t));
        return;
      case 'map':
        if (type.kind === 'map')
          term.entries.forEach(([k, v]) => {
            visit(k, type.key, name, t);
            visit(v, type.value, name, t);
          });
        return;
      case 'tuple':
        if (type.kind === 'tuple') term.items.forEach((x, i) => visit(x, type.elems[i] ?? T.blob, name, t));
        return;
      case 'udt':
        if (type.kind === 'udt') term.fields.forEach(([f, x]) => visit(x, type.fieldTypes[type.fieldNames.indexOf(f)] ?? T.blob, name, t));
        return;
      default:
        return;
    }
  };
  const col = (t: TableDef, name: string): { type: CqlType; kind: string; name: string } => {
    const c = t.byName.get(name);
    if (!c) throw invalid(`Undefined column name ${name}`);
    return c;
  };
  const relations = (rels: Relation[], t: TableDef, track: boolean): void => {
    for (const r of rels) {
      if (r.k === 'token') {
        visit(r.value, T.bigint, 'partition key token', t);
        continue;
      }
      if (r.k === 'multi') {
        if (r.value.k === 'tuple') r.value.items.forEach((x, i) => visit(x, col(t, r.cols[i]!).type, r.cols[i]!, t));
        continue;
      }
      const c = col(t, r.col);
      if (r.op === 'IN') {
        if (r.inList) r.inList.forEach((x) => visit(x, c.type, c.name, t));
        else visit(r.value, { kind: 'list', elem: c.type, frozen: true }, `in(${c.name})`, t);
        continue;
      }
      if (r.op === 'CONTAINS' || r.op === 'CONTAINS KEY') {
        const ty = c.type;
        const et = ty.kind === 'map' ? (r.op === 'CONTAINS KEY' ? ty.key : ty.value) : ty.kind === 'list' || ty.kind === 'set' ? ty.elem : ty;
        visit(r.value, et, c.name, t);
        continue;
      }
      visit(r.value, c.type, c.name, t);
      if (track && r.op === '=' && c.kind === 'partition_key' && r.value.k === 'bind') pkBinds.set(c.name, r.value.idx);
    }
  };
  const conditions = (conds: Condition[], t: TableDef): void => {
    for (const c of conds) {
      const cd = col(t, c.col);
      let ty = cd.type;
      if (c.key) {
        if (ty.kind === 'map') {
          visit(c.key, ty.key, c.col, t);
          ty = ty.value;
        } else if (ty.kind === 'list') {
          visit(c.key, T.int, c.col, t);
          ty = ty.elem;
        }
      }
      if (c.field && ty.kind === 'udt') ty = ty.fieldTypes[ty.fieldNames.indexOf(c.field)] ?? T.blob;
      if (c.inList) c.inList.forEach((x) => visit(x, ty, c.col, t));
      else visit(c.value, ty, c.col, t);
    }
  };
  const using = (s: { ttl?: Term; timestamp?: Term }, t: TableDef): void => {
    if (s.ttl) visit(s.ttl, T.int, '[ttl]', t);
    if (s.timestamp) visit(s.timestamp, T.bigint, '[timestamp]', t);
  };
  const stmt = (s: Statement, track: boolean): void => {
    switch (s.type) {
      case 'select': {
        const t = resolveTable(catalog, s.table, sessionKs);
        state.main ??= t;
        relations(s.where, t, track);
        if (s.perPartitionLimit) visit(s.perPartitionLimit, T.int, '[per_partition_limit]', t);
        if (s.limit) visit(s.limit, T.int, '[limit]', t);
        return;
      }
      case 'insert': {
        const t = resolveTable(catalog, s.table, sessionKs);
        state.main ??= t;
        s.columns.forEach((name, i) => {
          const c = col(t, name);
          const term = s.values[i]!;
          visit(term, c.type, c.name, t);
          if (track && c.kind === 'partition_key' && term.k === 'bind') pkBinds.set(c.name, term.idx);
        });
        using(s, t);
        return;
      }
      case 'update': {
        const t = resolveTable(catalog, s.table, sessionKs);
        state.main ??= t;
        using(s, t);
        for (const a of s.assignments) {
          const c = col(t, a.col);
          const ty = c.type;
          switch (a.k) {
            case 'set':
            case 'add':
            case 'prepend':
              visit(a.value, ty, c.name, t);
              break;
            case 'remove':
              visit(a.value, ty.kind === 'map' ? { kind: 'set', elem: ty.key, frozen: true } : ty, c.name, t);
              break;
            case 'elem':
              if (ty.kind === 'map') {
                visit(a.key, ty.key, `key(${c.name})`, t);
                visit(a.value, ty.value, `value(${c.name})`, t);
              } else if (ty.kind === 'list') {
                visit(a.key, T.int, `idx(${c.name})`, t);
                visit(a.value, ty.elem, `value(${c.name})`, t);
              }
              break;
            case 'field':
              if (ty.kind === 'udt') visit(a.value, ty.fieldTypes[ty.fieldNames.indexOf(a.field)] ?? T.blob, `${c.name}.${a.field}`, t);
              break;
          }
        }
        relations(s.where, t, track);
        conditions(s.conditions, t);
        return;
      }
      case 'delete': {
        const t = resolveTable(catalog, s.table, sessionKs);
        state.main ??= t;
        for (const d of s.targets) {
          if (!d.key) continue;
          const ty = col(t, d.col).type;
          visit(d.key, ty.kind === 'map' ? ty.key : T.int, d.col, t);
        }
        using(s, t);
        relations(s.where, t, track);
        conditions(s.conditions, t);
        return;
      }
      case 'batch':
        if (s.ttl || s.timestamp) {
          const first = s.statements[0];
          if (first) using(s, resolveTable(catalog, first.table, sessionKs));
        }
        s.statements.forEach((x, i) => stmt(x, i === 0));
        return;
      default:
        return;
    }
  };
  stmt(parsed.stmt, true);
  const out: BindSpec[] = [];
  for (let i = 0; i < parsed.bindCount; i++) {
    out.push(specs[i] ?? { keyspace: state.main?.keyspace ?? '', table: state.main?.name ?? '', name: `arg${i}`, type: T.blob });
  }
  const t = state.main;
  let pkIndexes: number[] = [];
  if (t && t.pk.every((c) => pkBinds.has(c.name))) pkIndexes = t.pk.map((c) => pkBinds.get(c.name)!);
  return { specs: out, pkIndexes, table: t };
}
