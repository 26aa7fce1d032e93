/**
 * Creates and evolves target tables from the record schemas (SINK_AUTO_CREATE, SINK_AUTO_EVOLVE),
 * and tells the apply SQL what the table really looks like (actual column types, so tables made by
 * other tools work). DDL problems are retriable: a missing table with auto-create off, or two sinks
 * racing to create one, must stall and alert, never dead-letter data.
 */
import type { Pool } from 'pg';
import { schemaExists } from '../clients/pg-schema.js';
import { ReplicatorError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import {
  addColumnsSql,
  addCtsColumnSql,
  addOffsetsTopicIdSql,
  createOffsetResetsTableSql,
  createPausedTablesSql,
  addTsColumnSql,
  createOffsetsTableSql,
  createSchemaSql,
  createTableSql,
  createTombstoneTableSql,
  mergeFunctionsSql,
} from './core/ddl-sql.js';
import { addDeletedAtColumnSql } from './core/soft-delete-sql.js';
import { expiryColumnsSql } from './core/expiry-sql.js';
import { ORIGIN_SQL, originOf, setOriginSql } from './core/table-origin.js';
import { CTS_COLUMN, DELETED_AT_COLUMN, EXPIRES_AT_COLUMN, TS_COLUMN, isReserved, listKeysColumn, rangeTombstoneTable, tombstoneTable } from '../core/sql-ident.js';
import { RecordError } from './core/record-error.js';
import type { TargetColumn, TargetTable } from './core/target-table.js';
import type { TableShape } from './core/types.js';
import { emptyTableMap, resolveTarget, type TableMap } from './core/table-map.js';
import { excludeFromShape } from './core/shape-exclude.js';
import { staticTableDdl, staticTargetOf } from './core/static-partition-sql.js';
import { createRangeTombstoneTableSql } from './core/range-tombstone-sql.js';

export interface TableManagerOptions {
  autoCreate: boolean;
  autoEvolve: boolean;
  deleteMode?: 'hard' | 'soft';
  /** SINK_TABLE_MAP (unset = every table in the default schema under its own name). */
  map?: TableMap;
  /** SINK_EXCLUDE_COLUMNS. */
  exclude?: readonly string[];
}

/** Where a batch's records come from, beyond the shape: the topic, and its {keyspace} when the template names one. */
export interface TargetSource {
  topic: string;
  keyspace?: string;
}

const COLUMNS_SQL = `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`;

/** $3: the key column names. Expression and partial indexes cannot arbitrate a plain column list. */
const UNIQUE_KEY_SQL = `SELECT EXISTS (
  SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = $2 AND i.indisunique AND i.indimmediate AND i.indisvalid
    AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = cardinality($3::text[])
    AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
         WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey[0:i.indnkeyatts - 1]))
      = (SELECT array_agg(x ORDER BY x) FROM unnest($3::text[]) AS x)
) AS ok`;

export class TableManager {
  private readonly cache = new Map<string, TargetTable>();
  /** Every target table resolved in this run, by `schema.table` (the TTL purge reaches mapped ones through it). */
  private readonly resolved = new Map<string, { schema: string; table: string }>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly opts: TableManagerOptions,
    private readonly log: Logger,
  ) {}

  async init(): Promise<void> {
    await this.ddl(this.schema, [
      ...(await this.schemaSql(this.schema)),
      createOffsetsTableSql(this.schema),
      addOffsetsTopicIdSql(this.schema),
      createOffsetResetsTableSql(this.schema),
      createPausedTablesSql(this.schema),
      ...mergeFunctionsSql(this.schema),
    ]);
  }

  /** The target tables resolved since the start, wherever SINK_TABLE_MAP put them. */
  resolvedTables(): { schema: string; table: string }[] {
    return [...this.resolved.values()];
  }

  invalidate(table?: string): void {
    if (table === undefined) this.cache.clear();
    else for (const k of [...this.cache.keys()]) if (k.startsWith(`${table}\u0000`)) this.cache.delete(k);
  }

  /**
   * The target table of `table`'s records, created or evolved as needed. The keyspace is the topic's
   * when KAFKA_TOPIC_TEMPLATE names it (the records' claims were checked against it), else the one
   * of the record schema's namespace; with the table it picks the SINK_TABLE_MAP entry and is the
   * origin the table is claimed for.
   */
  async target(table: string, rawShape: TableShape, from?: TargetSource): Promise<TargetTable> {
    const keyspace = from?.keyspace ?? rawShape.keyspace;
    // The keyspace is part of the key: the same table name from another keyspace must be claimed anew.
    const cacheKey = `${table}\u0000${keyspace}\u0000${from?.topic ?? ''}\u0000${rawShape.fingerprint}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    // One resolution at a time per key: the first batches of several flush lanes (and the warm-up at
    // assignment, table-warm-up.ts) would otherwise each run the DDL, one after the other under its lock.
    let pending = this.pending.get(cacheKey);
    if (!pending) {
      pending = this.resolve(table, rawShape, keyspace, cacheKey, from).finally(() => this.pending.delete(cacheKey));
      this.pending.set(cacheKey, pending);
    }
    return pending;
  }

  private readonly pending = new Map<string, Promise<TargetTable>>();

  private async resolve(table: string, rawShape: TableShape, keyspace: string, cacheKey: string, from?: TargetSource): Promise<TargetTable> {
    const excluded = excludeFromShape(keyspace, table, rawShape, this.opts.exclude ?? []);
    if ('problem' in excluded) throw Object.assign(new ReplicatorError('CDC_CONFIG', excluded.problem, false), { exitCode: 2 });
    const shape = excluded.shape;
    const origin = `${keyspace}.${table}`;
    const mapped = resolveTarget(this.opts.map ?? emptyTableMap(), { keyspace, table, topic: from?.topic ?? '' }, this.schema);
    const schema = mapped.schema;
    const name = this.claimName(schema, mapped.table, origin, mapped.entry);
    let cols = await this.columns(schema, name);
    if (cols.size === 0) {
      if (!this.opts.autoCreate) {
        throw new ReplicatorError('CDC_SCHEMA', `table ${schema}.${name} does not exist and SINK_AUTO_CREATE is off`, true);
      }
      await this.ddl(schema, [...(schema === this.schema ? [] : await this.schemaSql(schema)), createTableSql(schema, name, shape)]);
      this.log.info({ table: name, schema, ...(mapped.entry ? { mapped: mapped.entry } : {}) }, 'created target table');
      cols = await this.columns(schema, name);
    }
    const missing = shape.valueColumns.filter((c) => !cols.has(c.name) || (c.collection === 'list' && !cols.has(listKeysColumn(c.name))));
    if (missing.length > 0) {
      if (this.opts.autoEvolve) {
        await this.ddl(schema, addColumnsSql(schema, name, missing));
        this.log.info({ table: name, columns: missing.map((c) => c.name) }, 'added columns');
      } else if (!this.warned.has(cacheKey)) {
        this.warned.add(cacheKey);
        this.log.warn({ table: name, columns: missing.map((c) => c.name) }, 'columns missing in PostgreSQL and SINK_AUTO_EVOLVE is off: their values are not written');
      }
    }
    const ddl: string[] = [];
    if (!cols.has(TS_COLUMN)) ddl.push(addTsColumnSql(schema, name));
    if (!cols.has(CTS_COLUMN)) ddl.push(addCtsColumnSql(schema, name));
    if (!cols.has(EXPIRES_AT_COLUMN)) ddl.push(...expiryColumnsSql(schema, name));
    const soft = this.opts.deleteMode === 'soft';
    if (soft && !cols.has(DELETED_AT_COLUMN)) ddl.push(addDeletedAtColumnSql(schema, name));
    for (const k of shape.keyColumns) {
      if (!cols.has(k.name)) throw new ReplicatorError('CDC_SCHEMA', `table ${schema}.${name} has no key column ${k.name}`, true);
    }
    const keyColumns: TargetColumn[] = shape.keyColumns.map((k) => ({ name: k.name, pgType: cols.get(k.name)!, storage: k.storage }));
    ddl.push(createTombstoneTableSql(schema, name, keyColumns));
    // Made with the table, never on the first range delete: a sink whose cached target predates
    // the companion would otherwise skip the check of range tombstones another sink wrote.
    const pkLen = shape.partitionKeyLength;
    const ranged = pkLen !== undefined && pkLen < keyColumns.length;
    if (ranged) ddl.push(createRangeTombstoneTableSql(schema, name, keyColumns, pkLen));
    const stored = await this.storedOrigin(schema, name);
    if (stored === null) ddl.push(setOriginSql(schema, name, origin));
    else if (stored !== undefined && stored !== origin) {
      throw new RecordError(
        'wrong-target',
        `PostgreSQL table ${schema}.${name} replicates ${stored}, not ${origin}: two source tables must not merge (map them apart with SINK_TABLE_MAP, or run a sink per keyspace with its own PG_SCHEMA)`,
      );
    }
    await this.ddl(schema, ddl);
    cols = await this.columns(schema, name);
    const valueColumns: TargetColumn[] = shape.valueColumns
      .filter((c) => cols.has(c.name) && (c.collection !== 'list' || cols.has(listKeysColumn(c.name))))
      .map((c) => ({ name: c.name, pgType: cols.get(c.name)!, storage: c.storage, ...(c.collection ? { collection: c.collection } : {}) }));
    const target: TargetTable = {
      schema,
      table: name,
      keyColumns,
      valueColumns,
      deletedAt: cols.has(DELETED_AT_COLUMN),
      softDelete: soft,
      onConflictKey: await this.hasUniqueKey(schema, name, keyColumns),
      helperSchema: this.schema,
      ...(ranged ? { partitionKeyLength: pkLen, ...(shape.descending ? { descending: shape.descending } : {}) } : {}),
    };
    this.cache.set(cacheKey, target);
    this.resolved.set(`${target.schema}\u0000${target.table}`, { schema: target.schema, table: target.table });
    return target;
  }

  /** Whether ON CONFLICT over the key columns finds an arbiter index (target-table.ts `onConflictKey`). */
  private async hasUniqueKey(schema: string, table: string, keys: TargetColumn[]): Promise<boolean> {
    const r = await this.pool.query<{ ok: boolean }>(UNIQUE_KEY_SQL, [schema, table, keys.map((k) => k.name)]);
    return r.rows[0]?.ok === true;
  }

  private readonly staticsReady = new Set<string>();

  /**
   * `t` with its static companion (static-partition-sql.ts) for a partition key of `n` columns:
   * created or evolved when `create` (the batch writes static cells), else only when it exists
   * already (a partition delete clears it; no catalog cache, another sink may have made it).
   */
  async withStatics(t: TargetTable, n: number, create: boolean): Promise<TargetTable> {
    const st = staticTargetOf(t, n);
    const key = `${st.schema}\u0000${st.table}\u0000${n}\u0000${st.valueColumns.map((c) => `${c.name}:${c.pgType}`).join(',')}`;
    if (!this.staticsReady.has(key)) {
      if (!create && (await this.columns(st.schema, st.table)).size === 0) return t;
      await this.ddl(st.schema, staticTableDdl(st));
      this.staticsReady.add(key);
      this.resolved.set(`${st.schema}\u0000${st.table}`, { schema: st.schema, table: st.table });
    }
    return { ...t, statics: st };
  }

  private readonly owners = new Map<string, string>();

  /**
   * The PostgreSQL name `table` (already resolved, pgName-shortened), refusing (as the record's
   * fault) a `_cdc_` name and a name, or one of its tombstone tables' (row or range), already another source table's in
   * this process: two patterns of SINK_TABLE_MAP, or a pattern and an exact entry, can meet there.
   */
  private claimName(schema: string, table: string, origin: string, entry?: string): string {
    const via = entry ? ` (SINK_TABLE_MAP ${entry})` : '';
    if (isReserved(table)) throw new RecordError('wrong-target', `table ${JSON.stringify(table)}${via}: names starting with _cdc_ are the sink's own tables`);
    const own = [table, tombstoneTable(table), rangeTombstoneTable(table)];
    for (const n of own) {
      const owner = this.owners.get(`${schema}.${n}`);
      if (owner !== undefined && owner !== origin)
        throw new RecordError(
          'wrong-target',
          `tables ${JSON.stringify(owner)} and ${JSON.stringify(origin)} would both use PostgreSQL table ${JSON.stringify(`${schema}.${n}`)}${via}`,
        );
    }
    for (const n of own) this.owners.set(`${schema}.${n}`, origin);
    return table;
  }

  /** The keyspace.table a target table replicates (its comment): undefined = another tool's comment, null = none. */
  private async storedOrigin(schema: string, table: string): Promise<string | null | undefined> {
    try {
      const res = await this.pool.query<{ c: string | null }>(ORIGIN_SQL, [schema, table]);
      return originOf(res.rows[0]?.c ?? null);
    } catch (err) {
      throw new ReplicatorError('CDC_SCHEMA', `reading the comment of ${schema}.${table}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  /**
   * CREATE SCHEMA when `schema` is missing, else nothing: PostgreSQL checks CREATE on the database
   * before IF NOT EXISTS, so a role that owns a schema made for it, without that right, would fail.
   */
  private async schemaSql(schema: string): Promise<string[]> {
    try {
      return (await schemaExists(this.pool, schema)) ? [] : [createSchemaSql(schema)];
    } catch (err) {
      throw new ReplicatorError('CDC_SCHEMA', `looking up schema ${schema}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  private async columns(schema: string, table: string): Promise<Map<string, string>> {
    try {
      const res = await this.pool.query<{ name: string; type: string }>(COLUMNS_SQL, [schema, table]);
      return new Map(res.rows.map((r) => [r.name, r.type]));
    } catch (err) {
      throw new ReplicatorError('CDC_SCHEMA', `reading columns of ${schema}.${table}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  /** Runs `statements` under the lock of `schema` (the schema they change), so sinks of any PG_SCHEMA mapping into it serialize. */
  private async ddl(schema: string, statements: string[]): Promise<void> {
    if (statements.length === 0) return;
    const client = await this.pool.connect().catch((err: unknown) => {
      throw new ReplicatorError('CDC_PG_RETRYABLE', `PostgreSQL unavailable: ${(err as Error).message}`, true, { cause: err });
    });
    try {
      // One lock for all sinks' DDL: concurrent CREATE … IF NOT EXISTS can still collide on the
      // catalog (23505 on pg_type) and CREATE OR REPLACE FUNCTION on pg_proc.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`scylla-pg-cdc:${schema}`]);
      for (const s of statements) await client.query(s);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined); // the connection may be gone; release(err) below discards it
      client.release(err as Error);
      throw new ReplicatorError('CDC_SCHEMA', `DDL failed: ${(err as Error).message}`, true, { cause: err });
    }
  }
}
