/**
 * SINK_TABLE_MAP: where each source table is written in PostgreSQL, as Kafka Connect sinks let an
 * operator say it (Confluent JDBC `table.name.format`, Aiven `topics.to.tables.mapping`, Debezium
 * JDBC `table.name.format`). One env var, a comma list of `source=target`:
 *
 *   ks1.users=crm.users_eu,ks2.*=archive.{keyspace}_{table},*.audit=audit_{keyspace}
 *
 * - source: `keyspace.table`, either part `*`. Exact sources are looked up first, then patterns in
 *   the order written; a table no entry matches keeps the default (PG_SCHEMA, the table's name).
 * - target: `[schema.]table` (no schema = PG_SCHEMA); letters, digits, `_` and the placeholders
 *   {keyspace}, {table}, {topic} ({topic} with every other character made `_`, since a dot would
 *   read as a schema separator to most tools).
 *
 * Only what the operator wrote here decides a target: a record supplies nothing but the
 * keyspace/table/topic the placeholders stand for, and those are checked against the topic first
 * (topic-target.ts). Pure: parsing, checking and resolving, no I/O.
 */
import { isReserved, pgName } from '../../core/sql-ident.js';

export interface MapRule {
  /** The entry as written, for messages. */
  entry: string;
  keyspace: string;
  table: string;
  /** Target schema and table templates; schema undefined = PG_SCHEMA. */
  toSchema?: string;
  toTable: string;
}

export interface TableMap {
  /** `keyspace.table` (lower case) → rule. */
  exact: Map<string, MapRule>;
  patterns: MapRule[];
}

export interface MapSource {
  keyspace: string;
  table: string;
  topic: string;
}

export interface MappedTarget {
  schema: string;
  table: string;
  /** The entry that decided it; undefined = the default. */
  entry?: string;
}

const MAX_IDENT_BYTES = 63; // NAMEDATALEN - 1 (PostgreSQL manual, "Identifiers and Key Words")
const SOURCE = /^([A-Za-z0-9_]+|\*)\.([A-Za-z0-9_]+|\*)$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDERS = new Set(['keyspace', 'table', 'topic']);
const LITERAL = /^[A-Za-z0-9_]+$/;

export const emptyTableMap = (): TableMap => ({ exact: new Map(), patterns: [] });

/** Problems of one target part (schema or table template), each naming the entry. */
function partProblems(part: string, what: string, entry: string): string[] {
  if (part === '') return [`${entry}: empty ${what} name`];
  const out: string[] = [];
  for (const m of part.matchAll(PLACEHOLDER)) if (!PLACEHOLDERS.has(m[1]!)) out.push(`${entry}: unknown placeholder {${m[1]}} (use {keyspace}, {table} or {topic})`);
  const literal = part.replace(PLACEHOLDER, '');
  if (literal !== '' && !LITERAL.test(literal)) out.push(`${entry}: ${what} ${JSON.stringify(part)} may hold only letters, digits, _ and placeholders`);
  if (Buffer.byteLength(literal) > MAX_IDENT_BYTES) out.push(`${entry}: ${what} ${JSON.stringify(part)} is longer than PostgreSQL's ${MAX_IDENT_BYTES}-byte identifiers`);
  return out;
}

function parseEntry(entry: string): { rule: MapRule } | { problems: string[] } {
  const eq = entry.indexOf('=');
  if (eq < 0 || eq !== entry.lastIndexOf('=')) return { problems: [`${entry}: expected source=target, e.g. ks.users=crm.users`] };
  const [src, dst] = [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()];
  const s = SOURCE.exec(src);
  if (!s) return { problems: [`${entry}: the source must be keyspace.table (either may be *)`] };
  const parts = dst.split('.');
  if (parts.length > 2) return { problems: [`${entry}: the target must be [schema.]table`] };
  const [toSchema, toTable] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, parts[0]!];
  const problems = [...(toSchema !== undefined ? partProblems(toSchema, 'schema', entry) : []), ...partProblems(toTable, 'table', entry)];
  if (toSchema !== undefined && toSchema.toLowerCase().startsWith('pg_')) problems.push(`${entry}: schema names starting with pg_ are reserved by PostgreSQL`);
  if (isReserved(toTable)) problems.push(`${entry}: table names starting with _cdc_ are the sink's own tables`);
  const rule: MapRule = { entry, keyspace: s[1]!, table: s[2]!, toTable, ...(toSchema !== undefined ? { toSchema } : {}) };
  // A pattern whose target does not vary with what `*` stands for would merge many tables into one.
  const names = (p: string) => `${toSchema ?? ''}.${toTable}`.includes(`{${p}}`);
  if (rule.keyspace === '*' && !names('keyspace') && !names('topic'))
    problems.push(`${entry}: maps every keyspace's table onto one target; put {keyspace} (or {topic}) in the target`);
  if (rule.table === '*' && !names('table') && !names('topic')) problems.push(`${entry}: maps many tables onto one target; put {table} (or {topic}) in the target`);
  return problems.length > 0 ? { problems } : { rule };
}

const fill = (template: string, s: MapSource) =>
  template.replace(PLACEHOLDER, (_, p: string) => (p === 'keyspace' ? s.keyspace : p === 'table' ? s.table : s.topic.replace(/[^A-Za-z0-9_]/g, '_')));

/** The map, or every problem of its syntax (each names its entry); `spec` is the variable's raw value. */
export function parseTableMap(spec: string): { map: TableMap } | { problems: string[] } {
  const map = emptyTableMap();
  const problems: string[] = [];
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const r = parseEntry(entry);
    if ('problems' in r) {
      problems.push(...r.problems);
      continue;
    }
    const { rule } = r;
    const earlier =
      rule.keyspace !== '*' && rule.table !== '*'
        ? map.exact.get(`${rule.keyspace}.${rule.table}`.toLowerCase())
        : map.patterns.find((p) => `${p.keyspace}.${p.table}`.toLowerCase() === `${rule.keyspace}.${rule.table}`.toLowerCase());
    if (earlier) problems.push(`${entry}: ${rule.keyspace}.${rule.table} is already mapped by ${earlier.entry}`);
    else if (rule.keyspace !== '*' && rule.table !== '*') map.exact.set(`${rule.keyspace}.${rule.table}`.toLowerCase(), rule);
    else map.patterns.push(rule);
  }
  return problems.length > 0 ? { problems } : { map };
}

const targetTemplate = (r: MapRule) => `${r.toSchema ?? ''}.${r.toTable}`;

/**
 * Exact entries resolve before any record arrives (but for {topic}): two onto one target, or a
 * name PostgreSQL would cut at 63 bytes, is refused at start-up. Patterns can only be checked as
 * records come (TableManager's claim on the table and its comment refuses the second source).
 */
export function tableMapProblems(map: TableMap, defaultSchema: string): string[] {
  const problems: string[] = [];
  const owners = new Map<string, string>();
  for (const rule of map.exact.values()) {
    if (targetTemplate(rule).includes('{topic}')) continue;
    const s = { keyspace: rule.keyspace.toLowerCase(), table: rule.table.toLowerCase(), topic: '' }; // as CQL folds them
    const [schema, table] = [rule.toSchema === undefined ? defaultSchema : fill(rule.toSchema, s), fill(rule.toTable, s)];
    const long = [schema, table].find((n) => Buffer.byteLength(n) > MAX_IDENT_BYTES);
    if (long !== undefined) problems.push(`${rule.entry}: ${long} is longer than PostgreSQL's ${MAX_IDENT_BYTES}-byte identifiers`);
    const key = `${schema}.${table}`;
    const other = owners.get(key);
    if (other !== undefined) problems.push(`${rule.entry}: ${other} maps another table onto the same target ${key}`);
    owners.set(key, rule.entry);
  }
  return problems;
}

const matches = (part: string, name: string) => part === '*' || part.toLowerCase() === name.toLowerCase();

/**
 * Where `s` is written. A placeholder that makes a name longer than 63 bytes is shortened the way
 * every long name is (sql-ident pgName), so it stays one fixed name across runs.
 */
export function resolveTarget(map: TableMap, s: MapSource, defaultSchema: string): MappedTarget {
  const rule = map.exact.get(`${s.keyspace}.${s.table}`.toLowerCase()) ?? map.patterns.find((p) => matches(p.keyspace, s.keyspace) && matches(p.table, s.table));
  if (!rule) return { schema: defaultSchema, table: pgName(s.table) };
  return { schema: rule.toSchema === undefined ? defaultSchema : pgName(fill(rule.toSchema, s)), table: pgName(fill(rule.toTable, s)), entry: rule.entry };
}
