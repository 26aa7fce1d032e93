import { describe, expect, it } from 'vitest';
import { parseTableMap, resolveTarget, tableMapProblems, type TableMap } from '../../../../src/sink/core/table-map.js';
import { pgName } from '../../../../src/core/sql-ident.js';

function mapOf(spec: string): TableMap {
  const r = parseTableMap(spec);
  if ('problems' in r) throw new Error(r.problems.join('; '));
  return r.map;
}
const problems = (spec: string) => {
  const r = parseTableMap(spec);
  return 'problems' in r ? r.problems : tableMapProblems(r.map, 'cdc_data');
};
const at = (map: TableMap, keyspace: string, table: string, topic = `cdc.${keyspace}.${table}`) => resolveTarget(map, { keyspace, table, topic }, 'cdc_data');

describe('SINK_TABLE_MAP resolution', () => {
  const map = mapOf('ks1.users=crm.users_eu, ks2.*=archive.{keyspace}_{table}, *.users=people_{keyspace}, *.*=raw.{topic}');

  it('exact entries first, then patterns in the order written, else the default', () => {
    expect(at(map, 'ks1', 'users')).toEqual({ schema: 'crm', table: 'users_eu', entry: 'ks1.users=crm.users_eu' });
    expect(at(map, 'ks2', 'users')).toEqual({ schema: 'archive', table: 'ks2_users', entry: 'ks2.*=archive.{keyspace}_{table}' });
    expect(at(map, 'ks3', 'users')).toEqual({ schema: 'cdc_data', table: 'people_ks3', entry: '*.users=people_{keyspace}' });
    expect(at(map, 'ks3', 'orders', 'cdc.ks3.orders')).toEqual({ schema: 'raw', table: 'cdc_ks3_orders', entry: '*.*=raw.{topic}' });
    expect(at(mapOf('ks1.users=crm.u'), 'ks9', 'orders')).toEqual({ schema: 'cdc_data', table: 'orders' });
  });

  it('matches source names in any case (CQL folds unquoted names), writes targets as written', () => {
    expect(at(mapOf('KS1.Users=crm.Users_EU'), 'ks1', 'users')).toMatchObject({ schema: 'crm', table: 'Users_EU' });
    expect(at(mapOf('ks1.*=crm.{table}'), 'KS1', 'Orders')).toMatchObject({ schema: 'crm', table: 'Orders' });
  });

  it('a pattern that expands past 63 bytes is shortened like every long name', () => {
    const long = 'x'.repeat(60);
    expect(at(mapOf('ks.*=a.{table}_archive'), 'ks', long).table).toBe(pgName(`${long}_archive`));
    expect(Buffer.byteLength(at(mapOf('ks.*=a.{table}_archive'), 'ks', long).table)).toBe(63);
  });

  it('an empty value maps nothing', () => {
    expect(mapOf(' , ')).toEqual({ exact: new Map(), patterns: [] });
  });
});

describe('SINK_TABLE_MAP validation (each problem names its entry)', () => {
  it('refuses malformed entries', () => {
    expect(problems('ks1.users')).toEqual(['ks1.users: expected source=target, e.g. ks.users=crm.users']);
    expect(problems('ks1.users=a=b')[0]).toMatch(/^ks1.users=a=b: expected source=target/);
    expect(problems('users=crm.users')).toEqual(['users=crm.users: the source must be keyspace.table (either may be *)']);
    expect(problems('ks.u*=crm.x')[0]).toMatch(/source must be keyspace.table/);
    expect(problems('ks.users=a.b.c')).toEqual(['ks.users=a.b.c: the target must be [schema.]table']);
    expect(problems('ks.users=crm.')).toEqual(['ks.users=crm.: empty table name']);
    expect(problems('ks.users=crm.us-ers')[0]).toMatch(/may hold only letters, digits, _ and placeholders/);
  });

  it('refuses an unknown placeholder', () => {
    expect(problems('ks.*=crm.{schema}_{table}')).toEqual(['ks.*=crm.{schema}_{table}: unknown placeholder {schema} (use {keyspace}, {table} or {topic})']);
  });

  it('refuses names PostgreSQL would cut at 63 bytes', () => {
    const long = 'n'.repeat(64);
    expect(problems(`ks.users=crm.${long}`)[0]).toMatch(/longer than PostgreSQL's 63-byte identifiers/);
    expect(problems(`ks.*=crm.${long}_{table}`)[0]).toMatch(/longer than PostgreSQL's 63-byte identifiers/);
    // Exact sources fill their placeholders at start-up: 60 + "_" + 5 bytes is too long.
    expect(problems(`ks.users=crm.${'n'.repeat(60)}_{table}`)[0]).toMatch(/^ks.users=crm.n+_\{table\}: n+_users is longer/);
    expect(problems(`ks.users=crm.${'n'.repeat(63)}`)).toEqual([]);
  });

  it("refuses the sink's own names and PostgreSQL's reserved schemas", () => {
    expect(problems('ks.users=crm._cdc_offsets')[0]).toMatch(/_cdc_ are the sink's own tables/);
    expect(problems('ks.users=pg_catalog.users')[0]).toMatch(/pg_ are reserved/);
  });

  it('refuses two source tables onto one target', () => {
    expect(problems('ks1.users=crm.users,ks2.users=crm.users')).toEqual(['ks2.users=crm.users: ks1.users=crm.users maps another table onto the same target crm.users']);
    // No schema = PG_SCHEMA: the same table as cdc_data.u written out.
    expect(problems('ks1.a=u,ks2.b=cdc_data.u')[0]).toMatch(/^ks2.b=cdc_data.u: ks1.a=u maps another table onto the same target cdc_data.u/);
    expect(problems('ks1.users=crm.{table},ks2.users=crm.users')[0]).toMatch(/same target crm.users/);
    // Placeholders of exact entries are filled as the names arrive (lower case), here as at run time.
    expect(problems('KS1.Users=crm.{keyspace}_{table},ks2.x=crm.ks1_users')[0]).toMatch(/same target crm.ks1_users/);
    expect(problems('ks1.users=crm.users,KS1.USERS=crm.other')[0]).toMatch(/is already mapped by ks1.users=crm.users/);
    expect(problems('ks.*=a.{table},ks.*=b.{table}')[0]).toBe('ks.*=b.{table}: ks.* is already mapped by ks.*=a.{table}');
  });

  it('refuses a pattern whose target does not vary with its *', () => {
    expect(problems('ks.*=archive.everything')).toEqual(['ks.*=archive.everything: maps many tables onto one target; put {table} (or {topic}) in the target']);
    expect(problems('*.users=crm.users')[0]).toMatch(/put \{keyspace\} \(or \{topic\}\)/);
    expect(problems('*.*=crm.{table}')[0]).toMatch(/every keyspace's table onto one target/);
    expect(problems('*.*=crm.{topic}')).toEqual([]);
    expect(problems('*.*={keyspace}.{table}')).toEqual([]);
  });
});
