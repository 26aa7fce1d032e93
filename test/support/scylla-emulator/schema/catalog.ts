// Keyspaces, tables and UDTs, and the DDL rules the emulator enforces (ScyllaDB messages where
// clients or tests depend on them).
import { randomUUID } from 'node:crypto';
import { CqlError, ErrorCode, invalid } from '../errors.js';
import type { ColumnSpec, CreateTableStmt, OptionValue, TypeRef } from '../cql/ast.js';
import { TableStore } from '../storage/table-store.js';
import type { CdcOptions } from '../cdc/options.js';
import { comparatorFor, isMultiCell, native, type Comparator, type CqlType, type NativeName } from './types.js';

export type ColumnKind = 'partition_key' | 'clustering' | 'static' | 'regular';

export interface ColumnDef {
  name: string;
  type: CqlType;
  kind: ColumnKind;
  position: number;
  /** Stable slot in stored rows; never reused after a DROP. */
  ordinal: number;
  desc: boolean;
  cmp: Comparator;
  multiCell: boolean;
}

export interface UdtDef {
  keyspace: string;
  name: string;
  fieldNames: string[];
  fieldTypes: CqlType[];
}

export interface TableDef {
  keyspace: string;
  name: string;
  id: string;
  columns: ColumnDef[];
  byName: Map<string, ColumnDef>;
  pk: ColumnDef[];
  ck: ColumnDef[];
  statics: ColumnDef[];
  regulars: ColumnDef[];
  nextOrdinal: number;
  /** Ordinals in select order; a new array object whenever the column set changes. */
  layout: readonly number[];
  ckCmps: Comparator[];
  options: Map<string, OptionValue>;
  cdc: CdcOptions | null;
  log?: TableDef;
  base?: TableDef;
  partitioner: 'murmur3' | 'cdc';
  counter: boolean;
  compact: boolean;
  store: TableStore;
  dropped: { name: string; type: CqlType; time: number; kind: ColumnKind }[];
  /** Virtual/system tables: refuse user writes. */
  system: boolean;
  /** The per-row TTL column, if any (its value is when the whole row expires). */
  rowTtl?: string;
}

export interface KeyspaceDef {
  name: string;
  replication: [string, string][];
  durableWrites: boolean;
  tablets: { initial: number } | null;
  tables: Map<string, TableDef>;
  types: Map<string, UdtDef>;
  system: boolean;
}

export function optionString(v: OptionValue): string {
  switch (v.k) {
    case 'str':
    case 'num':
    case 'id':
      return v.v;
    case 'bool':
      return String(v.v);
    case 'map':
      return JSON.stringify(Object.fromEntries(v.v));
  }
}

export class Catalog {
  readonly keyspaces = new Map<string, KeyspaceDef>();
  schemaVersion = randomUUID();

  bumpVersion(): void {
    this.schemaVersion = randomUUID();
  }

  keyspace(name: string): KeyspaceDef {
    const ks = this.keyspaces.get(name);
    if (!ks) throw invalid(`Keyspace '${name}' does not exist`);
    return ks;
  }

  table(keyspace: string | undefined, name: string): TableDef {
    if (keyspace === undefined) throw invalid('No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename');
    const ks = this.keyspaces.get(keyspace);
    const t = ks?.tables.get(name);
    if (!t) throw invalid(`unconfigured table ${name}`);
    return t;
  }

  findTable(keyspace: string, name: string): TableDef | undefined {
    return this.keyspaces.get(keyspace)?.tables.get(name);
  }

  resolveType(ref: TypeRef, keyspace: string, inCollection = false): CqlType {
    switch (ref.kind) {
      case 'native':
        return native(ref.name as NativeName | 'varchar');
      case 'list':
      case 'set': {
        const elem = this.resolveType(ref.elem, keyspace, true);
        if (isMultiCell(elem)) throw invalid('Non-frozen collections are not allowed inside collections: ' + ref.kind);
        return { kind: ref.kind, elem, frozen: ref.frozen || inCollection };
      }
      case 'map': {
        const key = this.resolveType(ref.key, keyspace, true);
        const value = this.resolveType(ref.value, keyspace, true);
        if (isMultiCell(key) || isMultiCell(value)) throw invalid('Non-frozen collections are not allowed inside collections: map');
        return { kind: 'map', key, value, frozen: ref.frozen || inCollection };
      }
      case 'tuple':
        return { kind: 'tuple', elems: ref.elems.map((e) => this.resolveType(e, keyspace, true)) };
      case 'udtref': {
        const ksName = ref.keyspace ?? keyspace;
        const udt = this.keyspaces.get(ksName)?.types.get(ref.name);
        if (!udt) throw invalid(`Unknown type ${ksName}.${ref.name}`);
        if (inCollection && !ref.frozen) throw invalid('Non-frozen UDTs are not allowed inside collections: ' + ref.name);
        return { kind: 'udt', keyspace: udt.keyspace, name: udt.name, fieldNames: udt.fieldNames, fieldTypes: udt.fieldTypes, frozen: ref.frozen || inCollection };
      }
    }
  }

  /** Builds (but does not register) a table from a parsed CREATE TABLE. */
  buildTable(stmt: CreateTableStmt, keyspace: string): TableDef {
    const specs = new Map<string, ColumnSpec>();
    for (const c of stmt.columns) {
      if (specs.has(c.name)) throw invalid(`Multiple definition of identifier ${c.name}`);
      specs.set(c.name, c);
    }
    if (stmt.partitionKey.length === 0) throw invalid('No PRIMARY KEY specifed (exactly one required)');
    const order = new Map(stmt.clusteringOrder);
    for (const [c] of stmt.clusteringOrder) {
      if (!stmt.clusteringKey.includes(c)) throw invalid(`Missing CLUSTERING ORDER for column ${c}`);
    }
    const table: TableDef = {
      keyspace,
      name: stmt.table.name,
      id: randomUUID(),
      columns: [],
      byName: new Map(),
      pk: [],
      ck: [],
      statics: [],
      regulars: [],
      nextOrdinal: 0,
      layout: [],
      ckCmps: [],
      options: new Map(stmt.options),
      cdc: null,
      partitioner: 'murmur3',
      counter: false,
      compact: stmt.compactStorage,
      store: new TableStore(() => 0),
      dropped: [],
      system: false,
    };
    const add = (spec: ColumnSpec, kind: ColumnKind, position: number): void => {
      const type = this.resolveType(spec.type, keyspace);
      if (kind === 'partition_key' || kind === 'clustering') {
        if (isMultiCell(type)) throw invalid(`Invalid non-frozen collection type for PRIMARY KEY component ${spec.name}`);
        if (spec.isStatic) throw invalid(`Static column ${spec.name} cannot be part of the PRIMARY KEY`);
      }
      if (type.kind === 'native' && type.name === 'counter') table.counter = true;
      const desc = order.get(spec.name) === 'DESC';
      const col = makeColumn(spec.name, type, kind, position, table.nextOrdinal++, desc);
      table.byName.set(col.name, col);
    };
    stmt.partitionKey.forEach((n, i) => {
      const s = specs.get(n);
      if (!s) throw invalid(`Unknown definition ${n} referenced in PRIMARY KEY`);
      add(s, 'partition_key', i);
    });
    stmt.clusteringKey.forEach((n, i) => {
      const s = specs.get(n);
      if (!s) throw invalid(`Unknown definition ${n} referenced in PRIMARY KEY`);
      add(s, 'clustering', i);
    });
    for (const s of stmt.columns) {
      if (table.byName.has(s.name)) continue;
      if (s.isStatic && stmt.clusteringKey.length === 0) throw invalid(`Static columns are only useful (and thus allowed) if the table has at least one clustering column`);
      add(s, s.isStatic ? 'static' : 'regular', -1);
    }
    if (table.counter) {
      for (const c of table.byName.values()) {
        if ((c.kind === 'regular' || c.kind === 'static') && !(c.type.kind === 'native' && c.type.name === 'counter')) {
          throw invalid('Cannot mix counter and non counter columns in the same table');
        }
      }
    }
    refreshColumns(table);
    const ttlCols = stmt.columns.filter((s) => s.rowTtl);
    if (ttlCols.length > 1) throw invalid('Only one column can be designated as the per-row TTL column');
    if (ttlCols[0]) {
      checkRowTtlColumn(table, ttlCols[0].name);
      table.rowTtl = ttlCols[0].name;
    }
    return table;
  }
}

export function makeColumn(name: string, type: CqlType, kind: ColumnKind, position: number, ordinal: number, desc: boolean): ColumnDef {
  const base = comparatorFor(type);
  const cmp: Comparator = desc ? (a, b) => base(b, a) : base;
  return { name, type, kind, position, ordinal, desc, cmp, multiCell: isMultiCell(type) };
}

function nameCompare(a: ColumnDef, b: ColumnDef): number {
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

/** Recomputes the derived column lists after any column change. */
export function refreshColumns(t: TableDef): void {
  const all = [...t.byName.values()];
  t.pk = all.filter((c) => c.kind === 'partition_key').sort((a, b) => a.position - b.position);
  t.ck = all.filter((c) => c.kind === 'clustering').sort((a, b) => a.position - b.position);
  t.statics = all.filter((c) => c.kind === 'static').sort(nameCompare);
  t.regulars = all.filter((c) => c.kind === 'regular').sort(nameCompare);
  t.columns = [...t.pk, ...t.ck, ...t.statics, ...t.regulars];
  t.layout = t.columns.map((c) => c.ordinal);
  t.ckCmps = t.ck.map((c) => c.cmp);
  const cmps = t.ckCmps;
  t.store.ckCompare = (a, b) => {
    for (let i = 0; i < cmps.length; i++) {
      const c = cmps[i]!(a[i]!, b[i]!);
      if (c !== 0) return c;
    }
    return 0;
  };
}

export function alreadyExists(keyspace: string, table: string, msg: string): CqlError {
  return new CqlError(ErrorCode.alreadyExists, msg, { kind: 'alreadyExists', keyspace, table });
}

/** Per-row TTL (storage/row-ttl.ts): the column must be a regular timestamp, bigint or int column. */
export function checkRowTtlColumn(t: TableDef, name: string): void {
  const col = t.byName.get(name);
  if (!col) throw invalid(`Column ${name} was not found in table ${t.name}`);
  if (col.kind !== 'regular') throw invalid(`Per-row TTL column ${name} must be a regular column`);
  const ok = col.type.kind === 'native' && ['timestamp', 'bigint', 'int'].includes(col.type.name);
  if (!ok) throw invalid(`Per-row TTL column ${name} must be of type timestamp, bigint or int`);
}
