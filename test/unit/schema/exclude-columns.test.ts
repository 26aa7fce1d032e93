import { describe, expect, it } from 'vitest';
import { excludeColumns } from '../../../src/schema/exclude-columns.js';
import { DEFAULT_CDC_OPTIONS, type TableModel } from '../../../src/schema/table-model.js';
import { logColumnDrift } from '../../../src/source/core/log-columns.js';

const people: TableModel = {
  keyspace: 'app',
  table: 'people',
  columns: [
    { name: 'id', type: { kind: 'native', name: 'int' }, kind: 'partition_key' },
    { name: 'name', type: { kind: 'native', name: 'text' }, kind: 'regular' },
    { name: 'ssn', type: { kind: 'native', name: 'text' }, kind: 'regular' },
  ],
  partitionKey: ['id'],
  clusteringKey: [],
  clusteringOrder: [],
  cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
} as TableModel;

describe('SCYLLA_EXCLUDE_COLUMNS', () => {
  it('takes matching columns out of the model (exact or *, any case) and remembers them', () => {
    for (const rule of ['app.people.ssn', '*.people.SSN', 'app.*.ssn', '*.*.ssn']) {
      const r = excludeColumns(people, [rule]);
      expect('model' in r && r.model.columns.map((c) => c.name), rule).toEqual(['id', 'name']);
      expect('model' in r && r.model.excluded).toEqual(['ssn']);
    }
    expect(excludeColumns(people, ['other.people.ssn', 'app.people.nope'])).toEqual({ model: people });
  });
  it('refuses a key column, naming the variable', () => {
    expect(excludeColumns(people, ['*.*.id'])).toEqual({ problem: 'SCYLLA_EXCLUDE_COLUMNS: *.*.id names a primary key column of app.people; key columns cannot be excluded' });
  });
  it('an excluded column in the CDC log is not schema drift', () => {
    const r = excludeColumns(people, ['app.people.ssn']);
    const model = 'model' in r ? r.model : people;
    const log = ['cdc$stream_id', 'cdc$time', 'cdc$batch_seq_no', 'cdc$operation', 'cdc$ttl', 'id', 'name', 'cdc$deleted_name', 'ssn', 'cdc$deleted_ssn'];
    expect(logColumnDrift(model, log)).toEqual({ added: [], dropped: [] });
  });
});
