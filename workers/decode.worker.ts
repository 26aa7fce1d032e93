/**
 * piscina worker: Avro decode → RowChange with values already rendered as PG text (the costly,
 * CPU-bound part of the sink). Thin by design: the logic lives in src/sink/core/decode-record.ts.
 * Never throws per record; a thrown error means the job itself is broken (the batch is retried).
 */
import { SchemaCache, decodeRecords, type DecodeJob, type WorkerOutput } from '../src/sink/core/decode-record.js';
import { jobRecords } from '../src/sink/core/job-bytes.js';

const texts = new Map<number, string>();
const cache = new SchemaCache((id) => texts.get(id));

export default function decode(job: DecodeJob): WorkerOutput {
  for (const [id, text] of Object.entries(job.schemas)) texts.set(Number(id), text);
  return decodeRecords(jobRecords(job), cache);
}
