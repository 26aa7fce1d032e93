import { describe, expect, it } from 'vitest';
import { excludeFromShape } from '../../../../src/sink/core/shape-exclude.js';
import { deriveTableShape } from '../../../../src/sink/core/table-shape.js';
import { keySchema, valueSchema, type TableSpec } from '../../../fixtures/sink/envelope.js';

const spec: TableSpec = {
  keyspace: 'app',
  table: 'people',
  key: [{ name: 'id', type: 'int' }],
  columns: [
    { name: 'name', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'SSN', type: 'string' },
  ],
};
const shape = deriveTableShape(keySchema(spec) as never, valueSchema(spec) as never).shape;
const names = (r: ReturnType<typeof excludeFromShape>) => ('shape' in r ? r.shape.valueColumns.map((c) => c.field) : r.problem);

describe("SINK_EXCLUDE_COLUMNS on the sink's shape", () => {
  it('drops the matching value columns (exact or *, any case), as SCYLLA_EXCLUDE_COLUMNS reads them', () => {
    for (const rule of ['app.people.email', '*.people.EMAIL', 'app.*.email', '*.*.email']) {
      expect(names(excludeFromShape('app', 'people', shape, [rule])), rule).toEqual(['name', 'SSN']);
    }
    expect(names(excludeFromShape('app', 'people', shape, ['app.people.email', 'app.people.ssn']))).toEqual(['name']);
  });

  it('leaves other tables, and rules naming no column, alone (same object, same fingerprint)', () => {
    expect(excludeFromShape('app', 'people', shape, ['other.people.email', 'app.orders.email', 'app.people.nope'])).toEqual({ shape });
    expect(excludeFromShape('app', 'people', shape, [])).toEqual({ shape });
  });

  it('changes the fingerprint, so a cached target of the full shape is not reused', () => {
    const r = excludeFromShape('app', 'people', shape, ['app.people.email']);
    expect('shape' in r && r.shape.fingerprint).not.toBe(shape.fingerprint);
  });

  it('refuses a key column, naming the variable and the rule', () => {
    expect(excludeFromShape('app', 'people', shape, ['app.people.name', '*.*.ID'])).toEqual({
      problem: 'SINK_EXCLUDE_COLUMNS: *.*.ID names a key column of app.people; key columns cannot be excluded',
    });
  });
});
