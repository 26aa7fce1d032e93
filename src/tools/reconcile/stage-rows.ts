/**
 * Streams a ScyllaDB table, token range by token range with paging, as staging lines of the sink's
 * own layout — through the very code the pipeline runs: the source's snapshot record and Avro
 * encoding, then the sink's decode and COPY rendering. A difference the reconcile finds is therefore
 * a difference the pipeline would not have produced by itself.
 */
import type cassandra from 'cassandra-driver';
import { avroType, frameConfluent } from '../../schema/avro-codec.js';
import { envelopeSchema, keySchema } from '../../schema/cql-to-avro.js';
import type { TableModel } from '../../schema/table-model.js';
import { stagingLine } from '../../sink/core/apply-sql.js';
import { decodeRecord, SchemaCache } from '../../sink/core/decode-record.js';
import { newRow } from '../../sink/core/fold.js';
import type { TargetTable } from '../../sink/core/target-table.js';
import { buildSnapshotRecord } from '../../source/core/build-envelope.js';
import { SnapshotReader } from '../../source/snapshot-reader.js';
import { VERSION } from '../../version.js';
import { splitRing } from './token-ranges.js';

export interface StageProgress {
  rows: number;
  range: number;
  ranges: number;
  /** Rows of partitions holding only static columns: no clustering key, no PostgreSQL row. */
  staticOnly: number;
}

const KEY_ID = 1;
const VALUE_ID = 2;

export async function* stagingLines(
  client: cassandra.Client,
  t: TableModel,
  target: TargetTable,
  opts: { versionUs: bigint; fetchSize: number; ranges: number; onProgress: (p: StageProgress) => void },
): AsyncGenerator<string> {
  const kSchema = keySchema(t);
  const vSchema = envelopeSchema(t);
  const kType = avroType(kSchema);
  const vType = avroType(vSchema);
  const texts = new Map([
    [KEY_ID, JSON.stringify(kSchema)],
    [VALUE_ID, JSON.stringify(vSchema)],
  ]);
  const cache = new SchemaCache((id) => texts.get(id));
  const reader = new SnapshotReader(client, opts.fetchSize);
  const ranges = splitRing(opts.ranges);
  const progress: StageProgress = { rows: 0, range: 0, ranges: ranges.length, staticOnly: 0 };
  const ctx = { sourceName: 'reconcile', version: VERSION, nowMs: Date.now() };
  const ts = Number(opts.versionUs);
  for (const [after, end] of ranges) {
    progress.range++;
    for await (const page of reader.readRange(t, after, end)) {
      for (const { row } of page) {
        if (t.clusteringKey.some((c) => row[c] === null || row[c] === undefined)) {
          progress.staticOnly++;
          continue;
        }
        const rec = buildSnapshotRecord(t, row, ctx, ts);
        const decoded = decodeRecord(
          {
            ref: { topic: 'reconcile', partition: 0, offset: String(progress.rows) },
            key: frameConfluent(KEY_ID, kType.toBuffer(rec.key)),
            value: frameConfluent(VALUE_ID, vType.toBuffer(rec.value)),
          },
          cache,
        );
        if (decoded.ok !== true) throw new Error(`cannot render a row of ${t.keyspace}.${t.table}: ${decoded.ok === false ? decoded.failure.message : 'skipped'}`);
        const folded = newRow(decoded.change);
        folded.tsUs = opts.versionUs.toString();
        yield stagingLine(target, folded);
        progress.rows++;
      }
      opts.onProgress(progress);
    }
  }
}
