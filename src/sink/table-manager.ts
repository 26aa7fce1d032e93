/**
 * Creates and evolves target tables from the record schemas (SINK_AUTO_CREATE, SINK_AUTO_EVOLVE),
 * and tells the apply SQL what the table really looks like (actual column types, so tables made by
 * other tools work). DDL problems are retriable: a missing table with auto-create off, or two sinks
 * racing to create one, must stall and alert, never dead-letter data.
 */
import type { Pool } from 'pg';
import { ReplicatorError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { addColumnsSql, addCtsColumnSql, addOffsetsTopicIdSql, createOffsetResetsTableSql, addTsColumnSql, createOffsetsTableSql, createSchemaSql, createTableSql, createTombstoneTableSql, mergeFunctionsSql } from './core/ddl-sql.js';
import { addDeletedAtColumnSql } from './core/soft-delete-sql.js';
import { expiryColumnsSql } from './core/expiry-sql.js';
import { ORIGIN_SQL, originOf, setOriginSql } from './core/table-origin.js';
import { CTS_COLUMN, DELETED_AT_COLUMN, EXPIRES_AT_COLUMN, TS_COLUMN, isReserved, listKeysColumn, pgName, tombstoneTable } from '../core/sql-ident.js';
import { RecordError } from './core/record-error.js';
import type { TargetColumn, TargetTable } from './core/target-table.js';
import type { TableShape } from './core/types.js';

const COLUMNS_SQL = `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`;

export class TableManager {
  private readonly cache = new Map<string, TargetTable>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly opts: { autoCreate: boolean; autoEvolve: boolean; deleteMode?: 'hard' | 'soft' },
    private readonly log: Logger,
  ) {}

  async init(): Promise<void> {
    await this.ddl([createSchemaSql(this.schema), createOffsetsTableSql(this.schema), addOffsetsTopicIdSql(this.schema), createOffsetResetsTableSql(this.schema), ...mergeFunctionsSql(this.schema)]);
  }

  invalidate(table?: string): void {
    if (table === undefined) this.cache.clear();
    else for (const k of [...this.cache.keys()]) if (k.startsWith(`${table}\u0000`)) this.cache.delete(k);
  }

  async target(table: string, shape: TableShape): Promise<TargetTable> {
    // The keyspace is part of the key: the same table name from another keyspace must be claimed anew.
    const cacheKey = `${table}\u0000${shape.keyspace}\u0000${shape.fingerprint}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const origin = `${shape.keyspace}.${table}`;
    const name = this.claimName(table, origin);
    let cols = await this.columns(name);
    if (cols.size === 0) {
      if (!this.opts.autoCreate) {
        throw new ReplicatorError('CDC_SCHEMA', `table ${this.schema}.${name} does not exist and SINK_AUTO_CREATE is off`, true);
      }
      await this.ddl([createTableSql(this.schema, name, shape)]);
      this.log.info({ table: name }, 'created target table');
      cols = await this.columns(name);
    }
    const missing = shape.valueColumns.filter((c) => !cols.has(c.name) || (c.collection === 'list' && !cols.has(listKeysColumn(c.name))));
    if (missing.length > 0) {
      if (this.opts.autoEvolve) {
        await this.ddl(addColumnsSql(this.schema, name, missing));
        this.log.info({ table: name, columns: missing.map((c) => c.name) }, 'added columns');
      } else if (!this.warned.has(cacheKey)) {
        this.warned.add(cacheKey);
        this.log.warn({ table: name, columns: missing.map((c) => c.name) }, 'columns missing in PostgreSQL and SINK_AUTO_EVOLVE is off: their values are not written');
      }
    }
    const ddl: string[] = [];
    if (!cols.has(TS_COLUMN)) ddl.push(addTsColumnSql(this.schema, name));
    if (!cols.has(CTS_COLUMN)) ddl.push(addCtsColumnSql(this.schema, name));
    if (!cols.has(EXPIRES_AT_COLUMN)) ddl.push(...expiryColumnsSql(this.schema, name));
    const soft = this.opts.deleteMode === 'soft';
    if (soft && !cols.has(DELETED_AT_COLUMN)) ddl.push(addDeletedAtColumnSql(this.schema, name));
    for (const k of shape.keyColumns) {
      if (!cols.has(k.name)) throw new ReplicatorError('CDC_SCHEMA', `table ${this.schema}.${name} has no key column ${k.name}`, true);
    }
    const keyColumns: TargetColumn[] = shape.keyColumns.map((k) => ({ name: k.name, pgType: cols.get(k.name)!, storage: k.storage }));
    ddl.push(createTombstoneTableSql(this.schema, name, keyColumns));
    const stored = await this.storedOrigin(name);
    if (stored === null) ddl.push(setOriginSql(this.schema, name, origin));
    else if (stored !== undefined && stored !== origin) {
      throw new RecordError('wrong-target', `PostgreSQL table ${this.schema}.${name} replicates ${stored}, not ${origin}: tables of one name in two keyspaces must not merge (run a sink per keyspace with its own PG_SCHEMA)`);
    }
    await this.ddl(ddl);
    cols = await this.columns(name);
    const valueColumns: TargetColumn[] = shape.valueColumns
      .filter((c) => cols.has(c.name) && (c.collection !== 'list' || cols.has(listKeysColumn(c.name))))
      .map((c) => ({ name: c.name, pgType: cols.get(c.name)!, storage: c.storage, ...(c.collection ? { collection: c.collection } : {}) }));
    const target: TargetTable = { schema: this.schema, table: name, keyColumns, valueColumns, deletedAt: cols.has(DELETED_AT_COLUMN), softDelete: soft };
    this.cache.set(cacheKey, target);
    return target;
  }

  private readonly owners = new Map<string, string>();

  /**
   * The PostgreSQL name of `table`, refusing (as the record's fault) a `_cdc_` name and a name whose
   * shortened form, or whose tombstone table's, is already another table's.
   */
  private claimName(table: string, origin: string): string {
    if (isReserved(table)) throw new RecordError('wrong-target', `table ${JSON.stringify(table)}: names starting with _cdc_ are the sink's own tables`);
    const name = pgName(table);
    for (const n of [name, tombstoneTable(name)]) {
      const owner = this.owners.get(n);
      if (owner !== undefined && owner !== origin) throw new RecordError('wrong-target', `tables ${JSON.stringify(owner)} and ${JSON.stringify(origin)} would both use PostgreSQL table ${JSON.stringify(n)}`);
    }
    this.owners.set(name, origin);
    this.owners.set(tombstoneTable(name), origin);
    return name;
  }

  /** The keyspace.table a target table replicates (its comment): undefined = another tool's comment, null = none. */
  private async storedOrigin(table: string): Promise<string | null | undefined> {
    try {
      const res = await this.pool.query<{ c: string | null }>(ORIGIN_SQL, [this.schema, table]);
      return originOf(res.rows[0]?.c ?? null);
    } catch (err) {
      throw new ReplicatorError('CDC_SCHEMA', `reading the comment of ${this.schema}.${table}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  private async columns(table: string): Promise<Map<string, string>> {
    try {
      const res = await this.pool.query<{ name: string; type: string }>(COLUMNS_SQL, [this.schema, table]);
      return new Map(res.rows.map((r) => [r.name, r.type]));
    } catch (err) {
      throw new ReplicatorError('CDC_SCHEMA', `reading columns of ${this.schema}.${table}: ${(err as Error).message}`, true, { cause: err });
    }
  }

  private async ddl(statements: string[]): Promise<void> {
    if (statements.length === 0) return;
    const client = await this.pool.connect().catch((err: unknown) => {
      throw new ReplicatorError('CDC_PG_RETRYABLE', `PostgreSQL unavailable: ${(err as Error).message}`, true, { cause: err });
    });
    try {
      // One lock for all sinks' DDL: concurrent CREATE … IF NOT EXISTS can still collide on the
      // catalog (23505 on pg_type) and CREATE OR REPLACE FUNCTION on pg_proc.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`scylla-pg-cdc:${this.schema}`]);
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
