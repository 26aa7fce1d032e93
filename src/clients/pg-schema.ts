/**
 * CREATE SCHEMA only when the schema is missing. PostgreSQL checks the CREATE privilege on the
 * database before it looks at IF NOT EXISTS (a role that owns a schema made for it by an admin, but
 * may not create schemas, gets "permission denied for database" from CREATE SCHEMA IF NOT EXISTS on
 * PostgreSQL 15), so every writer asks pg_namespace first.
 */
import { quoteIdent } from '../core/sql-ident.js';

export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
}

export async function schemaExists(q: Queryable, schema: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
}

export async function createSchemaIfMissing(q: Queryable, schema: string): Promise<void> {
  if (!(await schemaExists(q, schema))) await q.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
}
