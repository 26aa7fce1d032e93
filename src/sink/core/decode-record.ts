/**
 * Kafka record bytes → RowChange, or a classified failure (never throws per record). Runs inside the
 * decode workers; schemas arrive as JSON text keyed by registry id and are parsed once per worker.
 */
import avro from 'avsc';
import { envelopeToChange, RecordError, type DecodedEnvelope } from './envelope-to-change.js';
import { deriveTableShape, type ParsedSchemas } from './table-shape.js';
import type { ClaimedTarget, DlqReason, DlqStage, RecordFailure, RecordRef, RowChange, SchemaIds } from './types.js';
import type { JobBytes, RecordBytes } from './job-bytes.js';
import { readWireHeader } from './wire-format.js';
import type { AvroSchema } from '../../schema/avro-schema.js';
import { avroBoundsInstalled } from './avro-bounds.js';
import { packBody, type ClaimedChange, type PostedChange } from './packed-change.js';

void avroBoundsInstalled;

/** int64 as bigint: Scylla bigint keys and µs write times exceed 2^53. */
const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * avsc consults the type registry only for the bare string `"long"`; `{type: "long", logicalType…}`
 * would get the default long type, which throws beyond 2^53. Props are not needed to decode.
 */
export function bareLongs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(bareLongs);
  if (schema === null || typeof schema !== 'object') return schema;
  const o = schema as Record<string, unknown>;
  if (o.type === 'long') return 'long';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'type' || k === 'fields' || k === 'items' || k === 'values' ? bareLongs(v) : v;
  if (Array.isArray(o.fields)) out.fields = (o.fields as Record<string, unknown>[]).map((f) => ({ ...f, type: bareLongs(f.type) }));
  return out;
}

export type { SchemaIds };

export const sameSchemas = (a: SchemaIds, b: SchemaIds): boolean => a.key === b.key && a.value === b.value;

export interface RawRecord extends RecordBytes {
  ref: RecordRef;
}

export interface DecodedChange extends RowChange {
  /** Target table, set from the topic by routeByTopic (topic-target.ts); '' until then. */
  table: string;
  /** The topic's {keyspace} when KAFKA_TOPIC_TEMPLATE names one (routeByTopic); the claim agrees with it. */
  keyspace?: string;
  /** What the envelope's `source` block says; checked against the topic, never trusted. */
  claimed: { keyspace: string; table: string };
  /** Registry ids of the key and value schemas: they identify the TableShape (schema change detection). */
  schemaIds: SchemaIds;
}

/** What a decode worker is sent (workers/decode.worker.ts): defined here so the pool needs nothing from workers/. */
export interface DecodeJob extends JobBytes {
  /** Schema JSON text by registry id, for the ids this job needs (unknown ids are absent). */
  schemas: Record<number, string>;
}

/**
 * The ref of every record inside a worker: refs stay on the main thread, and what a worker posts
 * names a record by its index in the job (job-bytes.ts).
 */
export const JOB_REF: RecordRef = Object.freeze({ topic: '', partition: -1, offset: '-1' });

/** A failure as a worker posts it: `at` is its record's index in the job. */
export interface PostedFailure extends Omit<RecordFailure, 'ref'> {
  at: number;
}

export interface DecodeOutput {
  changes: ClaimedChange[];
  failed: RecordFailure[];
  /** Kafka tombstones (null value): nothing to apply, offsets still advance past them. */
  skipped: number;
}

/** What a decode worker posts back: changes packed (packed-change.ts), by record index. */
export interface WorkerOutput extends Omit<DecodeOutput, 'changes' | 'failed'> {
  changes: PostedChange[];
  failed: PostedFailure[];
}

/** A registry schema the Avro library refused: remembered per id, its records are dead-lettered. */
export class BadSchema {
  constructor(readonly message: string) {}
}

export class SchemaCache {
  private readonly types = new Map<number, avro.Type | BadSchema>();
  private readonly shapes = new Map<number, Map<number, ParsedSchemas>>();

  constructor(private readonly schemaText: (id: number) => string | undefined) {}

  type(id: number): avro.Type | BadSchema | undefined {
    let t = this.types.get(id);
    if (!t) {
      const text = this.schemaText(id);
      if (text === undefined) return undefined;
      try {
        t = avro.Type.forSchema(bareLongs(JSON.parse(text)) as avro.Schema, { registry: { long: bigintLong }, wrapUnions: false } as Partial<avro.ForSchemaOptions>);
      } catch (err) {
        // Parsing again cannot succeed (an id's schema never changes): remember the failure.
        t = new BadSchema(`schema id ${id} cannot be parsed: ${(err as Error).message}`);
      }
      this.types.set(id, t);
    }
    return t;
  }

  /** Parsed once per key/value schema pair (shapes are keyed by the pair). */
  shape(keyId: number, valueId: number): ParsedSchemas {
    let byValue = this.shapes.get(keyId);
    if (!byValue) this.shapes.set(keyId, (byValue = new Map()));
    let s = byValue.get(valueId);
    if (!s) {
      const keySchema = JSON.parse(this.schemaText(keyId)!) as AvroSchema;
      s = deriveTableShape(keySchema, JSON.parse(this.schemaText(valueId)!) as AvroSchema);
      byValue.set(valueId, s);
    }
    return s;
  }
}

function fail(ref: RecordRef, reason: DlqReason, stage: DlqStage, err: unknown): RecordFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  return { ref, reason, stage, errorClass: e.name === 'Error' ? 'DecodeError' : e.name, message: e.message };
}

function decodePart(buf: Uint8Array, cache: SchemaCache): { ok: true; id: number; value: unknown } | { ok: false; reason: DlqReason; err: Error } {
  const h = readWireHeader(buf);
  if (!h.ok) return { ok: false, reason: h.problem, err: new Error(h.problem === 'bad-magic-byte' ? `unknown magic byte ${buf[0]}` : `record too short (${buf.length} bytes)`) };
  const type = cache.type(h.schemaId);
  if (!type) return { ok: false, reason: 'unknown-schema', err: new Error(`schema id ${h.schemaId} not found in the registry`) };
  if (type instanceof BadSchema) return { ok: false, reason: 'bad-schema', err: new Error(type.message) };
  try {
    const value = type.fromBuffer(Buffer.from(buf.buffer, buf.byteOffset + 5, buf.byteLength - 5));
    return { ok: true, id: h.schemaId, value };
  } catch (err) {
    return { ok: false, reason: 'undecodable', err: err as Error };
  }
}

export type DecodeResult = { ok: true; change: DecodedChange } | { ok: false; failure: RecordFailure } | { ok: 'skip' };

export function decodeRecord(rec: RawRecord, cache: SchemaCache): DecodeResult {
  const bytes = (rec.key?.byteLength ?? 0) + (rec.value?.byteLength ?? 0);
  // A Kafka tombstone (null value) carries no change: Debezium-style producers emit one after a
  // delete for compaction; the delete itself came as an op=d envelope before it.
  if (rec.value === null) return { ok: 'skip' };
  if (rec.key === null || rec.key.byteLength === 0) {
    return { ok: false, failure: fail(rec.ref, 'missing-key', 'KEY_CONVERTER', new Error('record has no key')) };
  }
  const k = decodePart(rec.key, cache);
  if (!k.ok) return { ok: false, failure: fail(rec.ref, k.reason, 'KEY_CONVERTER', k.err) };
  const v = decodePart(rec.value, cache);
  if (!v.ok) return { ok: false, failure: fail(rec.ref, v.reason, 'VALUE_CONVERTER', v.err) };
  try {
    const parsed = cache.shape(k.id, v.id);
    const env = v.value as DecodedEnvelope;
    const change = envelopeToChange({
      ref: rec.ref,
      bytes,
      key: (k.value ?? null) as Record<string, unknown> | null,
      value: env,
      shape: parsed.shape,
      names: parsed.names,
      cellColumns: parsed.cellColumns,
    });
    const src = env.source ?? {};
    const claimed = { keyspace: typeof src.keyspace_name === 'string' ? src.keyspace_name : '', table: typeof src.table_name === 'string' ? src.table_name : '' };
    return { ok: true, change: { ...change, table: '', claimed, schemaIds: { key: k.id, value: v.id } } };
  } catch (err) {
    const reason: DlqReason = err instanceof RecordError ? err.reason : 'undecodable';
    return { ok: false, failure: fail(rec.ref, reason, 'TRANSFORMATION', err) };
  }
}

export function decodeRecords(records: readonly RecordBytes[], cache: SchemaCache): WorkerOutput {
  const out: WorkerOutput = { changes: [], failed: [], skipped: 0 };
  // One SchemaIds and one claim object per distinct value in a job: the structured clone keeps
  // shared objects shared, so the main thread gets one per job instead of one per change.
  const ids = new Map<string, SchemaIds>();
  const claims = new Map<string, ClaimedTarget>();
  records.forEach((r, at) => {
    const d = decodeRecord({ ref: JOB_REF, key: r.key, value: r.value }, cache);
    if (d.ok === 'skip') out.skipped++;
    else if (d.ok) {
      const c = d.change;
      const pair = `${c.schemaIds.key}/${c.schemaIds.value}`;
      let schemaIds = ids.get(pair);
      if (!schemaIds) ids.set(pair, (schemaIds = c.schemaIds));
      const named = `${c.claimed.keyspace}\0${c.claimed.table}`;
      let claimed = claims.get(named);
      if (!claimed) claims.set(named, (claimed = c.claimed));
      out.changes.push({ at, kind: c.kind, bytes: c.bytes, schemaIds, table: '', claimed, body: packBody(c) });
    } else {
      const { ref: _inWorker, ...failure } = d.failure;
      out.failed.push({ ...failure, at });
    }
  });
  return out;
}
