import { parseCqlType } from '../../../../src/schema/cql-type.js';
import type { TableModel } from '../../../../src/schema/table-model.js';
import { DEFAULT_CDC_OPTIONS } from '../../../../src/schema/table-model.js';
import type { CdcLogRow } from '../../../../src/source/core/log-row.js';
import { timeuuidToMicros } from '../../../../src/source/core/log-row.js';

const udts = {
  addr: [
    { name: 'street', type: parseCqlType('text') },
    { name: 'no', type: parseCqlType('int') },
    { name: 'zip', type: parseCqlType('text') },
  ],
};

// CREATE TABLE ks.t (pk int, ck int, v int, s int static, m map<int,text>, l list<text>, st set<int>, u addr, PRIMARY KEY (pk, ck))
export const T: TableModel = {
  keyspace: 'ks',
  table: 't',
  columns: [
    { name: 'pk', type: parseCqlType('int'), kind: 'partition_key' },
    { name: 'ck', type: parseCqlType('int'), kind: 'clustering' },
    { name: 's', type: parseCqlType('int'), kind: 'static' },
    { name: 'l', type: parseCqlType('list<text>'), kind: 'regular' },
    { name: 'm', type: parseCqlType('map<int, text>'), kind: 'regular' },
    { name: 'st', type: parseCqlType('set<int>'), kind: 'regular' },
    { name: 'u', type: parseCqlType('addr', udts, 'ks'), kind: 'regular' },
    { name: 'v', type: parseCqlType('int'), kind: 'regular' },
  ],
  partitionKey: ['pk'],
  clusteringKey: ['ck'],
  clusteringOrder: ['ASC'],
  cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
};

// CREATE TABLE ks.t2 (pk int PRIMARY KEY, v int)
export const T2: TableModel = {
  keyspace: 'ks',
  table: 't2',
  columns: [
    { name: 'pk', type: parseCqlType('int'), kind: 'partition_key' },
    { name: 'v', type: parseCqlType('int'), kind: 'regular' },
  ],
  partitionKey: ['pk'],
  clusteringKey: [],
  clusteringOrder: [],
  cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
};

export const STREAM = Buffer.from('7fffffffffffffff55ebbda510000001', 'hex');
/** A timeuuid for 2023-11-14T22:13:20.000001Z (µs 1700000000000001). */
export const TIME1 = '04afc00a-833b-11ee-8a7b-24e4fb3f20b9';

export function row(op: number, seq: number, cells: Record<string, unknown>, extra: Partial<CdcLogRow> = {}): CdcLogRow {
  const time = extra.time ?? TIME1;
  return {
    streamId: STREAM,
    time,
    timeMicros: timeuuidToMicros(time),
    seq,
    op,
    ttl: null,
    endOfBatch: false,
    cells,
    ...extra,
  };
}

/** Marks the last row end-of-batch, as Scylla does. */
export function batch(...rows: CdcLogRow[]): CdcLogRow[] {
  return rows.map((r, i) => ({ ...r, seq: i, endOfBatch: i === rows.length - 1 }));
}
