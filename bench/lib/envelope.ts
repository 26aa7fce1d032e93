/**
 * Workload changes → the connector's legacy Avro records (schemas/README.md, envelope v1): Key record
 * + Envelope {before, after, op, ts_ms, source, transaction} with non-key cells wrapped `{value: X}`.
 * The schemas come from the project's own mapping (src/schema/cql-to-avro.ts), so the bench topic is
 * byte-for-byte what `scylla-pg-cdc source` would write for the same table.
 */
import type { AvroSchema } from '../../src/schema/avro-schema.js';
import { envelopeSchema, keySchema, partitionKeySchema } from '../../src/schema/cql-to-avro.js';
import { isNonFrozenMultiCell, parseCqlType, type CqlType } from '../../src/schema/cql-type.js';
import { toAvroValue } from '../../src/schema/avro-value.js';
import { avroType, frameConfluent, type AvroType } from '../../src/schema/avro-codec.js';
import { partitionFor } from '../../src/source/core/murmur2.js';
import { DEFAULT_CDC_OPTIONS, type TableModel } from '../../src/schema/table-model.js';
import type { Change, Workload } from '../workloads/types.js';

export const BENCH_KEYSPACE = 'bench';

export function tableModel(w: Workload, keyspace = BENCH_KEYSPACE): TableModel {
  return {
    keyspace,
    table: w.table,
    columns: w.columns.map((c) => ({ name: c.name, type: parseCqlType(c.cql), kind: c.kind })),
    partitionKey: w.columns.filter((c) => c.kind === 'partition_key').map((c) => c.name),
    clusteringKey: w.columns.filter((c) => c.kind === 'clustering').map((c) => c.name),
    clusteringOrder: w.columns.filter((c) => c.kind === 'clustering').map(() => 'ASC' as const),
    cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
  };
}

export interface EnvelopeCodec {
  keySchema: AvroSchema;
  valueSchema: AvroSchema;
  encode(ch: Change, ids: { key: number; value: number }, tsUs: number, partitions: number): { key: Buffer; value: Buffer; partition: number };
}

export function envelopeCodec(w: Workload, keyspace = BENCH_KEYSPACE): EnvelopeCodec {
  const model = tableModel(w, keyspace);
  const kSchema = keySchema(model);
  const vSchema = envelopeSchema(model);
  const kType: AvroType = avroType(kSchema);
  const vType: AvroType = avroType(vSchema);
  const pType: AvroType = avroType(partitionKeySchema(model));
  const types = new Map<string, CqlType>(model.columns.map((c) => [c.name, c.type]));
  const keyCols = w.columns.filter((c) => c.kind !== 'regular').map((c) => c.name);
  const pkCols = w.columns.filter((c) => c.kind === 'partition_key').map((c) => c.name);
  const valCols = w.columns.filter((c) => c.kind === 'regular').map((c) => c.name);
  const opCode = { c: 2, u: 1, d: 3 } as const;

  const cell = (col: string, v: unknown) => {
    const t = types.get(col)!;
    const c: Record<string, unknown> = { value: toAvroValue(t, v) };
    if (isNonFrozenMultiCell(t)) {
      c.mode = 'OVERWRITE';
      c.removed = null;
      if (t.kind === 'list') c.list_keys = null;
    }
    return c;
  };

  return {
    keySchema: kSchema,
    valueSchema: vSchema,
    encode(ch, ids, tsUs, partitions) {
      const key: Record<string, unknown> = {};
      for (const k of keyCols) key[k] = toAvroValue(types.get(k)!, ch.key[k]);
      const pk: Record<string, unknown> = {};
      for (const k of pkCols) pk[k] = key[k];
      const image: Record<string, unknown> = { ...key };
      for (const c of valCols) image[c] = ch.cells && c in ch.cells ? cell(c, ch.cells[c]) : null;
      const value = {
        before: ch.op === 'd' ? image : null,
        after: ch.op === 'd' ? null : image,
        op: ch.op,
        ts_ms: Date.now(),
        source: {
          version: 'bench',
          connector: 'scylla',
          name: 'scylla-pg-cdc-bench',
          ts_ms: Math.floor(tsUs / 1000),
          ts_us: tsUs,
          snapshot: 'false',
          db: keyspace,
          keyspace_name: keyspace,
          table_name: w.table,
          change_kind: 'row',
          cdc_operation: opCode[ch.op],
          ttl: null,
          range_start: null,
          range_end: null,
          range_start_inclusive: null,
          range_end_inclusive: null,
          stream_id: null,
          seq: 0,
        },
        transaction: null,
      };
      return {
        key: frameConfluent(ids.key, kType.toBuffer(key)),
        value: frameConfluent(ids.value, vType.toBuffer(value)),
        partition: partitionFor(pType.toBuffer(pk), partitions),
      };
    },
  };
}
