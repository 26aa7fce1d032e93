import { describe, expect, it } from 'vitest';
import { loadSinkConfig } from '../../../src/config/sink-config.js';
import { loadToolsConfig } from '../../../src/config/tools-config.js';
import { ConfigError } from '../../../src/config/spec.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      expect(err.exitCode).toBe(2);
      return err.problems;
    }
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('SINK_TABLE_MAP and SINK_EXCLUDE_COLUMNS as configuration', () => {
  it('unset: no mapping, no exclusion', () => {
    const cfg = loadSinkConfig({});
    expect(cfg.sinkTableMap).toBeUndefined();
    expect(cfg.sinkExcludeColumns).toBeUndefined();
  });

  it('parses both; the sink and the tools (reconcile) read the same', () => {
    const env = { SINK_TABLE_MAP: 'ks1.users=crm.users_eu,ks2.*=archive.{keyspace}_{table}', SINK_EXCLUDE_COLUMNS: 'ks1.users.email, *.*.ssn' };
    for (const cfg of [loadSinkConfig(env), loadToolsConfig(env)]) {
      expect([...cfg.sinkTableMap!.exact.keys()]).toEqual(['ks1.users']);
      expect(cfg.sinkTableMap!.patterns.map((p) => p.entry)).toEqual(['ks2.*=archive.{keyspace}_{table}']);
      expect(cfg.sinkExcludeColumns).toEqual(['ks1.users.email', '*.*.ssn']);
    }
  });

  it('a bad entry names SINK_TABLE_MAP and the entry', () => {
    expect(problemsOf(() => loadSinkConfig({ SINK_TABLE_MAP: 'ks.users=crm.{tabel}' }))).toEqual([
      'SINK_TABLE_MAP: ks.users=crm.{tabel}: unknown placeholder {tabel} (use {keyspace}, {table} or {topic}), got "ks.users=crm.{tabel}"',
    ]);
  });

  it('two tables onto one target, with PG_SCHEMA standing for a target without schema', () => {
    expect(problemsOf(() => loadSinkConfig({ PG_SCHEMA: 'wh', SINK_TABLE_MAP: 'ks1.users=people,ks2.users=wh.people' }))).toEqual([
      'SINK_TABLE_MAP: ks2.users=wh.people: ks1.users=people maps another table onto the same target wh.people',
    ]);
    expect(problemsOf(() => loadToolsConfig({ SINK_TABLE_MAP: 'ks1.a=x.t,ks2.b=x.t' }))[0]).toMatch(/^SINK_TABLE_MAP: ks2.b=x.t:/);
    expect(loadSinkConfig({ PG_SCHEMA: 'other', SINK_TABLE_MAP: 'ks1.users=people,ks2.users=wh.people' }).sinkTableMap).toBeDefined();
  });

  it("SINK_EXCLUDE_COLUMNS has SCYLLA_EXCLUDE_COLUMNS's syntax", () => {
    expect(problemsOf(() => loadSinkConfig({ SINK_EXCLUDE_COLUMNS: 'ks.users:email' }))[0]).toMatch(/^SINK_EXCLUDE_COLUMNS: each entry must be keyspace.table.column/);
  });
});
