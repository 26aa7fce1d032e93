// Statement execution: DDL against the catalog, DML through mutations (+ CDC), SELECT through
// the storage engine. Protocol-independent, so the bulk API and the server share it.
import { createHash } from 'node:crypto';
import { CqlError, ErrorCode, invalid, serverError } from './errors.js';
import { parse } from './cql/parser.js';
import type { BatchStmt, Condition, CreateTableStmt, ModificationStmt, OptionValue, Parsed, SelectStmt, Statement } from './cql/ast.js';
import { analyzeBinds, resolveTable, type BindInfo } from './cql/binds.js';
import { buildModification, makeListKeyGen, type ModContext } from './cql/modification.js';
import { evalTerm } from './cql/values.js';
import { UNSET, Writer, type BoundValue } from './protocol/buffer.js';
import type { ColSpec, SchemaChange } from './protocol/messages.js';
import { Prng } from './prng.js';
import { alreadyExists, Catalog, checkRowTtlColumn, makeColumn, refreshColumns, type KeyspaceDef, type TableDef } from './schema/catalog.js';
import { encodeBool, T, typeToCql } from './schema/types.js';
import { cdcOptionsMap, parseCdcOptions } from './cdc/options.js';
import { addLogColumns, buildLogTable, dropLogColumns, logTableName, syncLogColumns } from './cdc/log-schema.js';
import { writeWithCdc, type CdcContext } from './cdc/log-writer.js';
import { VnodeGenerations } from './cdc/generations.js';
import { TabletStreams } from './cdc/tablets.js';
import { Faults } from './faults.js';
import { applyPartMut, mergePartMut, readValue, rowLive, type PartMut } from './storage/mutation.js';
import { planSelect, runSelect } from './storage/select.js';
import { NO_TS } from './storage/table-store.js';
import { createSystemKeyspaces, refreshSchemaTables, writeLocalRows, type LocalInfo } from './system-tables.js';
import { timeuuidMicros } from './timeuuid.js';
import { CONTROL_DDL, CONTROL_KEYSPACE, runCommand } from './control.js';
import type { CreateTableStmt as CT } from './cql/ast.js';
import { putRow } from './system-tables.js';
import { expiredRowDeletes } from './storage/row-ttl.js';
import { expandReplicationFactor, fitSystemDistributed, splitHosts, viewFromHost } from './system-hosts.js';
import type { ReadTrace } from './read-trace.js';

export interface EngineOptions {
  seed: number;
  /** New keyspaces use tablets unless `tablets = {'enabled': false}`. */
  tablets: boolean;
  vnodes: number;
  shards: number;
  initialTablets: number;
  /** First generation timestamp relative to start (Scylla ≈ +60 s; default −1 s so writes work at once). */
  firstGenerationDelayMs: number;
  hostId: string;
  address: string;
  /** ScyllaDB 2026.1+ behaviour: pre-image for a partition delete in a table without clustering key. */
  noCkDeletePreimage: boolean;
  /** Tablets: writes this close to a stream-set switch also go to the other side's stream (0 = off). */
  switchDuplicateMs: number;
}

export type ExecResult =
  | { kind: 'void' }
  | { kind: 'rows'; cols: ColSpec[]; count: number; rows: Buffer; pagingState: Buffer | null }
  | { kind: 'setKeyspace'; keyspace: string }
  | { kind: 'schema'; change: SchemaChange };

export interface Session {
  keyspace: string | null;
  /** Which emulated host the connection talks to (index into Engine.hosts). */
  host?: number;
}

export interface ExecOptions {
  values: BoundValue[];
  names?: string[] | null;
  pageSize?: number;
  pagingState?: Buffer | null;
  timestamp?: bigint | null;
  skipMetadata?: boolean;
}

export interface Prepared {
  id: Buffer;
  query: string;
  keyspace: string | null;
  parsed: Parsed;
  binds: BindInfo;
  result: ColSpec[] | null;
}

const REPLICATION_CLASSES: Record<string, string> = {
  SimpleStrategy: 'org.apache.cassandra.locator.SimpleStrategy',
  NetworkTopologyStrategy: 'org.apache.cassandra.locator.NetworkTopologyStrategy',
  LocalStrategy: 'org.apache.cassandra.locator.LocalStrategy',
  EverywhereStrategy: 'org.apache.cassandra.locator.EverywhereStrategy',
};

export class Engine {
  readonly catalog = new Catalog();
  readonly rng: Prng;
  readonly generations: VnodeGenerations;
  readonly tablets: TabletStreams;
  readonly faults: Faults;
  readonly prepared = new Map<string, Prepared>();
  private readonly parseCache = new Map<string, Parsed>();
  private readonly schemaListeners = new Set<(c: SchemaChange) => void>();
  private lastMicros = 0;
  private readonly local: LocalInfo;
  /** Emulated hosts (one by default); all serve the same data, each owns a share of the tokens. */
  hosts: LocalInfo[] = [];
  /** When set, partition-key reads of the tables it matches are noted with the host that served them. */
  readTrace: ReadTrace | null = null;
  readonly cdcCtx: CdcContext;
  private readonly listKey: (prepend: boolean) => Buffer;

  constructor(readonly opts: EngineOptions) {
    this.rng = new Prng(opts.seed);
    const genRng = this.rng.fork();
    this.faults = new Faults(this.rng.fork());
    createSystemKeyspaces(this.catalog);
    const control: KeyspaceDef = {
      name: CONTROL_KEYSPACE,
      replication: [['class', 'org.apache.cassandra.locator.LocalStrategy']],
      durableWrites: true,
      tablets: null,
      tables: new Map(),
      types: new Map(),
      system: true,
    };
    const ct = this.catalog.buildTable(parse(CONTROL_DDL).stmt as CT, CONTROL_KEYSPACE);
    ct.system = true;
    control.tables.set(ct.name, ct);
    this.catalog.keyspaces.set(CONTROL_KEYSPACE, control);
    this.generations = new VnodeGenerations(this.catalog, genRng, { vnodes: opts.vnodes, shards: opts.shards, firstGenerationDelayMs: opts.firstGenerationDelayMs });
    this.tablets = new TabletStreams(this.catalog, genRng.fork());
    this.local = { hostId: opts.hostId, tokens: this.generations.tokens.map(String), address: opts.address };
    this.hosts = [this.local];
    fitSystemDistributed(this.catalog, 1);
    this.generations.start(Date.now());
    const cdcRng = this.rng.fork();
    this.cdcCtx = {
      rng: cdcRng,
      streamFor: (base, token, ts) => this.streamFor(base, token, ts),
      duplicateStreamsFor: (base, token, ts) =>
        this.catalog.keyspaces.get(base.keyspace)?.tablets ? this.tablets.duplicateStreams(base, token, ts, this.opts.switchDuplicateMs) : [],
      visibilityDelayMs: (base) => this.faults.visibilityDelayMs(base),
      noCkDeletePreimage: opts.noCkDeletePreimage,
    };
    this.listKey = makeListKeyGen(this.rng.fork(), () => this.nowMicros());
    this.schemaChanged();
  }

  nowMicros(): number {
    const now = Date.now() * 1000;
    this.lastMicros = now > this.lastMicros ? now : this.lastMicros + 1;
    return this.lastMicros;
  }

  onSchemaChange(fn: (c: SchemaChange) => void): () => void {
    this.schemaListeners.add(fn);
    return () => this.schemaListeners.delete(fn);
  }

  private schemaChanged(changes: SchemaChange[] = []): void {
    this.catalog.bumpVersion();
    refreshSchemaTables(this.catalog);
    writeLocalRows(this.catalog, this.local);
    for (const c of changes) for (const fn of this.schemaListeners) fn(c);
  }

  streamFor(base: TableDef, token: bigint, tsMicros: number): Buffer {
    const ks = this.catalog.keyspaces.get(base.keyspace);
    if (ks?.tablets) return this.tablets.streamFor(base, token, tsMicros, Date.now());
    return this.generations.streamFor(token, tsMicros, Date.now());
  }

  parse(query: string): Parsed {
    let p = this.parseCache.get(query);
    if (!p) {
      p = parse(query);
      if (this.parseCache.size > 5000) this.parseCache.clear();
      this.parseCache.set(query, p);
    }
    return p;
  }

  prepare(query: string, session: Session): Prepared {
    const parsed = this.parse(query);
    const binds = analyzeBinds(parsed, this.catalog, session.keyspace);
    let result: ColSpec[] | null = null;
    if (parsed.stmt.type === 'select') result = this.selectColumns(parsed.stmt, session);
    const id = createHash('md5')
      .update(query)
      .update('\0' + (session.keyspace ?? ''))
      .digest();
    const p: Prepared = { id, query, keyspace: session.keyspace, parsed, binds, result };
    this.prepared.set(id.toString('hex'), p);
    return p;
  }

  private selectColumns(stmt: SelectStmt, session: Session): ColSpec[] {
    const t = resolveTable(this.catalog, stmt.table, session.keyspace);
    const plan = planSelect(stmt, t, () => Date.now());
    const cols = plan.aggregate ? plan.aggregate.map((a) => ({ name: a.name, type: a.type })) : plan.cols.map((c) => ({ name: c.name, type: c.type }));
    return cols.map((c) => ({ keyspace: t.keyspace, table: t.name, ...c }));
  }

  /** Maps named values (protocol flag 0x40) onto marker positions. */
  orderValues(parsed: Parsed, session: Session, values: BoundValue[], names: string[] | null | undefined): BoundValue[] {
    if (!names) return values;
    const specs = analyzeBinds(parsed, this.catalog, session.keyspace).specs;
    return specs.map((s, i) => {
      const idx = names.indexOf((parsed.bindNames[i] ?? s.name).toLowerCase());
      return idx >= 0 ? values[idx]! : UNSET;
    });
  }

  execute(parsed: Parsed, session: Session, o: ExecOptions): ExecResult {
    const values = this.orderValues(parsed, session, o.values, o.names);
    if (values.length < parsed.bindCount) {
      throw invalid(`There were ${parsed.bindCount} markers(?) in CQL but ${values.length} bound variables`);
    }
    const stmt = parsed.stmt;
    if (stmt.type === 'select' && this.hosts.length > 1 && stmt.table.keyspace === 'system' && (stmt.table.name === 'local' || stmt.table.name === 'peers')) {
      viewFromHost(this.catalog, this.hosts, session.host ?? 0);
    }
    const ts = o.timestamp !== null && o.timestamp !== undefined ? Number(o.timestamp) : this.nowMicros();
    switch (stmt.type) {
      case 'select':
        return this.select(stmt, session, values, o);
      case 'insert':
      case 'update':
      case 'delete':
        return this.modify([stmt], session, values, ts, null);
      case 'batch':
        return this.batch(stmt, session, values, ts);
      case 'use': {
        this.catalog.keyspace(stmt.keyspace);
        session.keyspace = stmt.keyspace;
        return { kind: 'setKeyspace', keyspace: stmt.keyspace };
      }
      default:
        return this.ddl(stmt, session);
    }
  }

  private modCtx(values: readonly BoundValue[], ts: number): ModContext {
    return { binds: values, rng: this.rng, nowMicros: () => this.nowMicros(), timestamp: ts, nowMs: Date.now(), listKey: this.listKey };
  }

  private select(stmt: SelectStmt, session: Session, values: BoundValue[], o: ExecOptions): ExecResult {
    const t = resolveTable(this.catalog, stmt.table, session.keyspace);
    const now = Date.now();
    const plan = planSelect(stmt, t, () => now);
    const ctx = { binds: values, rng: this.rng, nowMicros: () => this.nowMicros() };
    this.readTrace?.note(session.host ?? 0, t, stmt.where, ctx);
    const w = new Writer(4096);
    const pageSize = o.pageSize && o.pageSize > 0 ? o.pageSize : Infinity;
    const res = runSelect(stmt, plan, ctx, pageSize, o.pagingState ?? null, now, w);
    const cols = plan.aggregate ? plan.aggregate.map((a) => ({ name: a.name, type: a.type })) : plan.cols.map((c) => ({ name: c.name, type: c.type }));
    return { kind: 'rows', cols: cols.map((c) => ({ keyspace: t.keyspace, table: t.name, ...c })), count: res.rowCount, rows: w.finish(), pagingState: res.pagingState };
  }

  /** Per-row TTL pass: deletes every expired row, logged as service deletes (storage/row-ttl.ts). */
  expireRows(): number {
    let n = 0;
    for (const ks of this.catalog.keyspaces.values()) {
      for (const t of ks.tables.values()) {
        if (!t.rowTtl) continue;
        const pms = expiredRowDeletes(t, Date.now(), this.nowMicros());
        n += pms.length;
        this.write(pms, true);
      }
    }
    return n;
  }

  /** Applies mutations, with their CDC log rows when the table has CDC enabled. */
  write(pms: PartMut[], service = false): void {
    const now = Date.now();
    // Validate stream availability for every CDC write first, so a rejected batch applies nothing.
    for (const pm of pms) {
      if (!pm.table.cdc?.enabled || !pm.table.log) continue;
      for (const ts of mutationTimestamps(pm)) this.streamFor(pm.table, pm.token, ts);
    }
    for (const pm of pms) {
      if (pm.table.cdc?.enabled && pm.table.log) writeWithCdc(pm, this.cdcCtx, now, service);
      else applyPartMut(pm, now);
    }
  }

  private modify(stmts: ModificationStmt[], session: Session, values: BoundValue[], ts: number, batch: BatchStmt | null): ExecResult {
    const merged = new Map<string, PartMut>();
    const conditional = stmts.filter((s) => (s.type === 'insert' && s.ifNotExists) || (s.type !== 'insert' && (s.ifExists || s.conditions.length > 0)));
    let lwtTs = ts;
    if (conditional.length > 0) {
      if (stmts.some((s) => s.timestamp) || batch?.timestamp) throw invalid('Cannot provide custom timestamp for conditional updates');
      lwtTs = this.nowMicros();
    }
    let batchTs = lwtTs;
    if (batch?.timestamp) {
      const v = evalTerm(batch.timestamp, T.bigint, this.modCtx(values, ts), '[timestamp]');
      if (v !== null && v !== UNSET) batchTs = Number(v.readBigInt64BE(0));
    }
    for (const s of stmts) {
      const t = resolveTable(this.catalog, s.table, session.keyspace);
      if (t.keyspace === CONTROL_KEYSPACE && s.type === 'insert') {
        this.control(s, t, values);
        continue;
      }
      if (t.system) throw new CqlError(ErrorCode.unauthorized, `${t.keyspace} keyspace is not user-modifiable.`);
      if (t.counter) throw invalid('Counter tables are not supported by the emulator');
      const pms = buildModification(s, t, this.modCtx(values, batchTs));
      for (const pm of pms) {
        const key = t.id + '\0' + pm.key;
        const existing = merged.get(key);
        if (existing) mergePartMut(existing, pm);
        else merged.set(key, pm);
      }
    }
    if (conditional.length > 0) {
      const verdict = this.checkConditions(conditional, session, values, batchTs);
      if (!verdict.applied) return verdict.result;
      this.write([...merged.values()]);
      return verdict.result;
    }
    this.write([...merged.values()]);
    return { kind: 'void' };
  }

  private checkConditions(stmts: ModificationStmt[], session: Session, values: BoundValue[], ts: number): { applied: boolean; result: ExecResult } {
    const now = Date.now();
    let applied = true;
    let t: TableDef | null = null;
    const extra: { spec: ColSpec; value: Buffer | null }[] = [];
    for (const s of stmts) {
      t = resolveTable(this.catalog, s.table, session.keyspace);
      const table = t;
      const pm = buildModification({ ...s, timestamp: undefined } as ModificationStmt, table, this.modCtx(values, ts))[0]!;
      const p = table.store.get(pm.key);
      const ck = [...pm.rows.values()][0]?.ck ?? null;
      const row = p && ck ? table.store.findRow(p, ck) : null;
      const exists = ck ? !!row && rowLive(row, now) : !!p?.srow && rowLive(p.srow, now);
      const current = (name: string): Buffer | null => {
        const c = table.byName.get(name)!;
        if (c.kind === 'partition_key') return pm.pk[c.position]!;
        if (c.kind === 'clustering') return ck ? ck[c.position]! : null;
        const r = c.kind === 'static' ? p?.srow : row;
        return r ? readValue(c, r.cells[c.ordinal], now) : null;
      };
      if (s.type === 'insert') {
        if (exists) {
          applied = false;
          for (const c of table.columns) extra.push({ spec: { keyspace: table.keyspace, table: table.name, name: c.name, type: c.type }, value: current(c.name) });
        }
        continue;
      }
      if (s.ifExists) {
        if (!exists) applied = false;
        continue;
      }
      const ok = s.conditions.every((c) => this.conditionHolds(c, table, current(c.col), values));
      if (!ok) {
        applied = false;
        for (const c of s.conditions) {
          const col = table.byName.get(c.col)!;
          if (extra.some((e) => e.spec.name === col.name)) continue;
          extra.push({ spec: { keyspace: table.keyspace, table: table.name, name: col.name, type: col.type }, value: current(col.name) });
        }
      }
    }
    const cols: ColSpec[] = [{ keyspace: t!.keyspace, table: t!.name, name: '[applied]', type: T.boolean }];
    const w = new Writer();
    w.bytes(encodeBool(applied));
    if (!applied)
      for (const e of extra) {
        cols.push(e.spec);
        w.bytes(e.value);
      }
    return { applied, result: { kind: 'rows', cols, count: 1, rows: w.finish(), pagingState: null } };
  }

  private conditionHolds(c: Condition, t: TableDef, current: Buffer | null, values: BoundValue[]): boolean {
    const col = t.byName.get(c.col);
    if (!col) throw invalid(`Undefined column name ${c.col}`);
    const ctx = this.modCtx(values, 0);
    const ev = (term: typeof c.value): Buffer | null => {
      const v = evalTerm(term, col.type, ctx, col.name);
      return v === UNSET ? null : v;
    };
    const cmp = col.cmp;
    if (c.op === 'IN')
      return (c.inList ?? []).some((x) => {
        const v = ev(x);
        return v === null ? current === null : current !== null && cmp(current, v) === 0;
      });
    const v = ev(c.value);
    if (c.op === '=') return v === null ? current === null : current !== null && cmp(current, v) === 0;
    if (c.op === '!=') return v === null ? current !== null : current === null || cmp(current, v) !== 0;
    if (current === null || v === null) return false;
    const d = cmp(current, v);
    return c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : c.op === '>' ? d > 0 : d >= 0;
  }

  private batch(stmt: BatchStmt, session: Session, values: BoundValue[], ts: number): ExecResult {
    if (stmt.kind === 'counter') throw invalid('Counter batches are not supported by the emulator');
    return this.modify(stmt.statements, session, values, ts, stmt);
  }

  /** Protocol BATCH: children are separate statements with their own values. */
  executeBatch(children: { parsed: Parsed; values: BoundValue[] }[], session: Session, timestamp: bigint | null): ExecResult {
    const ts = timestamp !== null ? Number(timestamp) : this.nowMicros();
    // Re-number markers so one values array serves the combined statement list.
    const stmts: ModificationStmt[] = [];
    const all: BoundValue[] = [];
    for (const c of children) {
      const s = c.parsed.stmt;
      if (s.type !== 'insert' && s.type !== 'update' && s.type !== 'delete') throw invalid('Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.');
      stmts.push(shiftBinds(s, all.length));
      all.push(...c.values);
    }
    return this.modify(stmts, session, all, ts, null);
  }

  // ---- DDL ----
  private ddl(stmt: Statement, session: Session): ExecResult {
    const ksOf = (q: { keyspace?: string }): string => {
      const k = q.keyspace ?? session.keyspace;
      if (!k) throw invalid('No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename');
      return k;
    };
    switch (stmt.type) {
      case 'createKeyspace': {
        if (this.catalog.keyspaces.has(stmt.name)) {
          if (stmt.ifNotExists) return { kind: 'void' };
          throw alreadyExists(stmt.name, '', `Cannot add existing keyspace "${stmt.name}"`);
        }
        const ks: KeyspaceDef = { name: stmt.name, replication: [], durableWrites: true, tablets: null, tables: new Map(), types: new Map(), system: false };
        this.applyKeyspaceOptions(ks, stmt.options, true);
        this.catalog.keyspaces.set(ks.name, ks);
        return this.schemaResult([{ change: 'CREATED', target: 'KEYSPACE', keyspace: ks.name }]);
      }
      case 'alterKeyspace': {
        const ks = this.catalog.keyspace(stmt.name);
        this.applyKeyspaceOptions(ks, stmt.options, false);
        return this.schemaResult([{ change: 'UPDATED', target: 'KEYSPACE', keyspace: ks.name }]);
      }
      case 'dropKeyspace': {
        const ks = this.catalog.keyspaces.get(stmt.name);
        if (!ks) {
          if (stmt.ifExists) return { kind: 'void' };
          throw invalid(`Cannot drop non existing keyspace '${stmt.name}'.`);
        }
        if (ks.system) throw new CqlError(ErrorCode.unauthorized, `${ks.name} keyspace is not user-modifiable.`);
        this.catalog.keyspaces.delete(stmt.name);
        if (session.keyspace === stmt.name) session.keyspace = null;
        return this.schemaResult([{ change: 'DROPPED', target: 'KEYSPACE', keyspace: stmt.name }]);
      }
      case 'createType': {
        const ks = this.catalog.keyspace(ksOf(stmt.name));
        if (ks.types.has(stmt.name.name)) {
          if (stmt.ifNotExists) return { kind: 'void' };
          throw alreadyExists(ks.name, stmt.name.name, `A user type of name ${ks.name}.${stmt.name.name} already exists`);
        }
        ks.types.set(stmt.name.name, {
          keyspace: ks.name,
          name: stmt.name.name,
          fieldNames: stmt.fields.map(([f]) => f),
          fieldTypes: stmt.fields.map(([, t]) => this.catalog.resolveType(t, ks.name, true)),
        });
        return this.schemaResult([{ change: 'CREATED', target: 'TYPE', keyspace: ks.name, name: stmt.name.name }]);
      }
      case 'dropType': {
        const ks = this.catalog.keyspace(ksOf(stmt.name));
        if (!ks.types.delete(stmt.name.name)) {
          if (stmt.ifExists) return { kind: 'void' };
          throw invalid(`No user type named ${ks.name}.${stmt.name.name} exists.`);
        }
        return this.schemaResult([{ change: 'DROPPED', target: 'TYPE', keyspace: ks.name, name: stmt.name.name }]);
      }
      case 'createTable':
        return this.createTable(stmt, ksOf(stmt.table));
      case 'dropTable': {
        const ks = this.catalog.keyspace(ksOf(stmt.table));
        const t = ks.tables.get(stmt.table.name);
        if (!t) {
          if (stmt.ifExists) return { kind: 'void' };
          throw invalid(`Cannot drop non existing table '${stmt.table.name}' in keyspace '${ks.name}'.`);
        }
        if (ks.system) throw new CqlError(ErrorCode.unauthorized, `${ks.name} keyspace is not user-modifiable.`);
        const changes: SchemaChange[] = [{ change: 'DROPPED', target: 'TABLE', keyspace: ks.name, name: t.name }];
        ks.tables.delete(t.name);
        if (t.log) {
          ks.tables.delete(t.log.name);
          changes.push({ change: 'DROPPED', target: 'TABLE', keyspace: ks.name, name: t.log.name });
        }
        return this.schemaResult(changes);
      }
      case 'truncate': {
        const t = resolveTable(this.catalog, stmt.table, session.keyspace);
        // Truncating the base table leaves its CDC log untouched, as in ScyllaDB.
        t.store.clear();
        return { kind: 'void' };
      }
      case 'alterTable':
        return this.alterTable(stmt, session);
      default:
        throw serverError(`unsupported statement ${stmt.type}`);
    }
  }

  private applyKeyspaceOptions(ks: KeyspaceDef, options: [string, OptionValue][], creating: boolean): void {
    let tabletsEnabled = creating ? this.opts.tablets : ks.tablets !== null;
    let initial = this.opts.initialTablets;
    for (const [name, v] of options) {
      if (name === 'replication') {
        if (v.k !== 'map') throw invalid('replication must be a map');
        ks.replication = expandReplicationFactor(v.v.map(([k, x]) => [k, k === 'class' ? (REPLICATION_CLASSES[x] ?? x) : x]));
        if (!ks.replication.some(([k]) => k === 'class')) throw new CqlError(ErrorCode.config, 'Missing replication strategy class');
      } else if (name === 'durable_writes') ks.durableWrites = v.k === 'bool' ? v.v : String(v.v) === 'true';
      else if (name === 'tablets') {
        if (v.k !== 'map') throw invalid('tablets must be a map');
        for (const [k, x] of v.v) {
          if (k === 'enabled') tabletsEnabled = x === 'true';
          else if (k === 'initial') {
            initial = Number(x);
            tabletsEnabled = true;
          } else throw new CqlError(ErrorCode.config, `Unknown tablets option ${k}`);
        }
      } else throw new CqlError(ErrorCode.syntax, `Unknown property '${name}'`);
    }
    if (creating && ks.replication.length === 0) throw new CqlError(ErrorCode.syntax, 'Missing mandatory replication strategy class');
    ks.tablets = tabletsEnabled ? { initial } : null;
  }

  private schemaResult(changes: SchemaChange[]): ExecResult {
    this.schemaChanged(changes);
    return { kind: 'schema', change: changes[0]! };
  }

  private tableOptions(t: TableDef, options: [string, OptionValue][], altering = false): void {
    for (const [name, v] of options) {
      if (name === 'cdc') {
        if (v.k !== 'map') throw invalid('cdc option must be a map');
        const parsed = parseCdcOptions(v.v);
        // cql3/statements/alter_table_statement.cc: an ALTER must say whether CDC is enabled.
        if (altering && !parsed.enabledSet) throw invalid('Altering CDC options requires specifying "enabled" flag');
        t.cdc = parsed;
      } else t.options.set(name, v);
    }
  }

  private ensureLog(t: TableDef, ks: KeyspaceDef, changes: SchemaChange[]): void {
    if (!t.cdc?.enabled) return;
    if (t.counter) throw invalid(`Cannot create CDC log for table ${t.keyspace}.${t.name}. Counter support not implemented`);
    if (t.base) throw invalid(`Cannot create CDC log for a table ${t.keyspace}.${t.name}, because creating nested CDC logs is not allowed`);
    if (!t.log) {
      const existing = ks.tables.get(logTableName(t.name));
      if (existing) throw invalid(`Cannot create CDC log table for table ${t.keyspace}.${t.name} because a table of name ${existing.name} already exists`);
      t.log = buildLogTable(t);
      ks.tables.set(t.log.name, t.log);
      changes.push({ change: 'CREATED', target: 'TABLE', keyspace: ks.name, name: t.log.name });
    } else syncLogColumns(t.log, t, Date.now());
    if (ks.tablets) this.tablets.enable(t, ks.tablets.initial, Date.now());
  }

  private createTable(stmt: CreateTableStmt, ksName: string): ExecResult {
    const ks = this.catalog.keyspace(ksName);
    if (ks.tables.has(stmt.table.name)) {
      if (stmt.ifNotExists) return { kind: 'void' };
      throw alreadyExists(ks.name, stmt.table.name, `Cannot add already existing table "${stmt.table.name}" to keyspace "${ks.name}"`);
    }
    const t = this.catalog.buildTable(stmt, ks.name);
    this.tableOptions(t, stmt.options);
    const changes: SchemaChange[] = [{ change: 'CREATED', target: 'TABLE', keyspace: ks.name, name: t.name }];
    this.ensureLog(t, ks, changes);
    ks.tables.set(t.name, t);
    return this.schemaResult(changes);
  }

  private alterTable(stmt: Extract<Statement, { type: 'alterTable' }>, session: Session): ExecResult {
    const t = resolveTable(this.catalog, stmt.table, session.keyspace);
    const ks = this.catalog.keyspace(t.keyspace);
    if (t.system) throw new CqlError(ErrorCode.unauthorized, `${ks.name} keyspace is not user-modifiable.`);
    const changes: SchemaChange[] = [{ change: 'UPDATED', target: 'TABLE', keyspace: ks.name, name: t.name }];
    if (t.base && stmt.action !== 'with') throw invalid(`Cannot alter columns of the CDC log table ${t.name}`);
    if (stmt.action === 'add') {
      for (const spec of stmt.columns) {
        if (t.byName.has(spec.name)) throw invalid(`Invalid column name ${spec.name} because it conflicts with an existing column`);
        if (spec.isStatic && t.ck.length === 0) throw invalid(`Static columns are only useful (and thus allowed) if the table has at least one clustering column`);
        const type = this.catalog.resolveType(spec.type, ks.name);
        const col = makeColumn(spec.name, type, spec.isStatic ? 'static' : 'regular', -1, t.nextOrdinal++, false);
        t.byName.set(col.name, col);
        refreshColumns(t);
        if (t.log && t.cdc?.enabled) addLogColumns(t.log, col);
      }
    } else if (stmt.action === 'drop') {
      for (const name of stmt.names) {
        const col = t.byName.get(name);
        if (!col) throw invalid(`Column ${name} was not found in table ${t.name}`);
        if (col.kind === 'partition_key' || col.kind === 'clustering') throw invalid(`Cannot drop PRIMARY KEY part ${name}`);
        t.byName.delete(name);
        t.dropped.push({ name, type: col.type, time: Date.now(), kind: col.kind });
        refreshColumns(t);
        if (t.log && t.cdc?.enabled) dropLogColumns(t.log, col, Date.now());
      }
    } else if (stmt.action === 'ttl') {
      // docs/cql/cql-extensions.md: enabling needs it off, disabling needs it on (no direct switch).
      if (stmt.column === null) {
        if (!t.rowTtl) throw invalid(`Per-row TTL is not enabled on table ${t.name}`);
        delete t.rowTtl;
      } else {
        if (t.rowTtl) throw invalid(`Per-row TTL is already enabled on table ${t.name} (column ${t.rowTtl})`);
        checkRowTtlColumn(t, stmt.column);
        t.rowTtl = stmt.column;
      }
    } else {
      this.tableOptions(t, stmt.options, true);
      this.ensureLog(t, ks, changes);
    }
    if (t.log) changes.push({ change: 'UPDATED', target: 'TABLE', keyspace: ks.name, name: t.log.name });
    return this.schemaResult(changes);
  }

  // ---- control surface ----
  private control(s: Extract<ModificationStmt, { type: 'insert' }>, t: TableDef, values: BoundValue[]): void {
    const ctx = this.modCtx(values, 0);
    const get = (name: string): string | null => {
      const i = s.columns.indexOf(name);
      if (i < 0) return null;
      const v = evalTerm(s.values[i]!, T.text, ctx, name);
      return v === null || v === UNSET ? null : v.toString('utf8');
    };
    const name = get('name');
    if (!name) throw invalid('emulator.commands needs a name');
    const arg = get('arg');
    const result = runCommand(this, name, arg);
    putRow(t, { name, arg, result });
  }

  /** Serves as several hosts: the vnode tokens are dealt to them round-robin (see system-hosts.ts). */
  setHosts(addresses: string[]): void {
    this.hosts = splitHosts(this.local, this.generations.tokens, addresses);
    Object.assign(this.local, this.hosts[0]);
    this.hosts[0] = this.local;
    fitSystemDistributed(this.catalog, this.hosts.length);
    this.schemaChanged();
  }

  addNode(delayMs: number, vnodes?: number): number {
    const g = this.generations.addNode(Date.now(), delayMs, vnodes);
    return g.ts;
  }

  describeCdc(keyspace: string, table: string): [string, string][] {
    return cdcOptionsMap(this.catalog.table(keyspace, table).cdc);
  }

  typeName(t: TableDef, col: string): string {
    return typeToCql(t.byName.get(col)!.type);
  }
}

function mutationTimestamps(pm: PartMut): Set<number> {
  const out = new Set<number>();
  if (pm.pdel !== NO_TS) out.add(pm.pdel);
  for (const r of pm.ranges) out.add(r.ts);
  const rows = pm.srow ? [pm.srow, ...pm.rows.values()] : [...pm.rows.values()];
  for (const r of rows) {
    if (r.mts !== NO_TS) out.add(r.mts);
    if (r.del !== NO_TS) out.add(r.del);
    for (const c of r.cells.values()) {
      if (c.kind === 'a') out.add(c.ts);
      else {
        if (c.tomb !== NO_TS) out.add(c.tomb + 1);
        for (const e of c.elems) out.add(e.ts);
      }
    }
  }
  return out;
}

/** Copies a statement with every bind index shifted by `by` (protocol BATCH children). */
function shiftBinds<S extends Statement>(s: S, by: number): S {
  if (by === 0) return s;
  return JSON.parse(JSON.stringify(s), (k, v: unknown) => {
    if (v && typeof v === 'object' && (v as { k?: string }).k === 'bind') return { ...(v as object), idx: (v as { idx: number }).idx + by };
    return v;
  }) as S;
}

export { timeuuidMicros };
