/**
 * avsc types for our schemas and the Confluent wire framing (magic 0, int32 BE schema id, body).
 *
 * Longs: avsc's default long refuses values beyond 2^53; CQL bigint uses the full 64 bits, so
 * longs are encoded from number or bigint and decoded to number when safe, else bigint.
 */
import avro from 'avsc';
import type { AvroSchema } from './avro-schema.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = BigInt(Number.MIN_SAFE_INTEGER);

const packedLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => {
    const b = buf.readBigInt64LE();
    return b <= MAX && b >= MIN ? Number(b) : b;
  },
  toBuffer: (n: number | bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(typeof n === 'bigint' ? n : BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => (typeof v === 'string' ? BigInt(v) : v),
  toJSON: (n: number | bigint) => (typeof n === 'bigint' ? n.toString() : n),
  isValid: (n: unknown) => (typeof n === 'number' && Number.isInteger(n)) || typeof n === 'bigint',
  compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/**
 * A number within ±2^52 is written straight to the tap: avsc's `__with` path builds an 8-byte
 * Buffer and a BigInt per long and then re-packs it (AbstractLongType#_write, avsc lib/types.js),
 * a tenth of the source's allocations (several longs per record). `Tap#writeLong` (avsc's own long
 * type) writes the same zig-zag varint, but only within ±2^52: below -2^52 its float arithmetic
 * (`-n * 2 - 1`) rounds. Anything else (bigint, larger numbers) takes the BigInt path.
 */
const TWO_52 = 2 ** 52;
type Tap = { writeLong(n: number): void };
type WriteLong = (this: unknown, tap: Tap, v: unknown) => void;
const packLong = (packedLong as unknown as { _write: WriteLong })._write;
// avsc freezes its types: the faster writer sits on an object that inherits everything else
const bigLong: unknown = Object.create(packedLong, {
  _write: {
    value: function (this: unknown, tap: Tap, v: unknown): void {
      if (typeof v === 'number' && Number.isInteger(v) && v >= -TWO_52 && v <= TWO_52) tap.writeLong(v);
      else packLong.call(this, tap, v);
    } satisfies WriteLong,
  },
});

export type AvroType = avro.Type;

export function avroType(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(
    schema as avro.Schema,
    {
      registry: { long: bigLong } as unknown as Record<string, avro.Type>,
      // The registry only replaces the bare name "long"; an annotated `{type: 'long', cql_type}` would
      // get avsc's default long, which refuses values beyond 2^53 (CQL bigint reaches 2^63).
      typeHook: (s: avro.Schema) =>
        typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long' && !(s as { logicalType?: unknown }).logicalType
          ? (bigLong as unknown as avro.Type)
          : undefined,
    } as Partial<avro.ForSchemaOptions>,
  );
}

/**
 * Encodes `v` at `at` into the encoder's scratch buffer and returns where it ends; a value that
 * does not fit (avsc returns minus the bytes missing) gets a larger buffer, kept for the next call.
 */
function encodeGrowing(type: avro.Type, v: unknown, scratch: { buf: Buffer }, at: number): number {
  const end = type.encode(v, scratch.buf, at);
  if (end >= 0) return end;
  scratch.buf = Buffer.allocUnsafe(Math.max(scratch.buf.length * 2, scratch.buf.length - end));
  return type.encode(v, scratch.buf, at);
}

/**
 * `frameConfluent(schemaId, type.toBuffer(v))` in one allocation: the body is written after the
 * header into a scratch buffer kept by the encoder (grown when a value does not fit), then copied
 * out once. Saves a buffer and a copy per record, which the source makes for every change.
 */
export function confluentEncoder(schemaId: number, type: avro.Type): (v: unknown) => Buffer {
  const scratch = { buf: Buffer.allocUnsafe(4096) };
  return (v) => {
    const end = encodeGrowing(type, v, scratch, 5);
    const out = Buffer.allocUnsafe(end);
    scratch.buf.copy(out, 0, 0, end);
    out[0] = 0;
    out.writeInt32BE(schemaId, 1);
    return out;
  };
}

/**
 * `type.toBuffer(v)` without a Buffer per call: written into a buffer kept by the encoder, so the
 * result is only good until the next call (the source hashes partition keys at once with it).
 */
export function scratchEncoder(type: avro.Type): (v: unknown) => Buffer {
  const scratch = { buf: Buffer.allocUnsafe(256) };
  return (v) => scratch.buf.subarray(0, encodeGrowing(type, v, scratch, 0));
}

export function frameConfluent(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeInt32BE(schemaId, 1);
  body.copy(out, 5);
  return out;
}

export function unframeConfluent(buf: Buffer): { schemaId: number; body: Buffer } {
  if (buf.length < 5 || buf[0] !== 0) throw new Error('not a Confluent-framed Avro message');
  return { schemaId: buf.readInt32BE(1), body: buf.subarray(5) };
}
