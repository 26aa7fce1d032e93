/**
 * Renders decoded Avro values as PostgreSQL text input (the form COPY's text format and `$n::type`
 * parameters accept). Throws TypeError on a value PostgreSQL cannot represent (NUL in text, a date
 * outside PG's range): the caller turns that into a `type-violation` dead letter for that record only.
 *
 * Longs arrive as bigint (decode-record.ts installs a bigint long type) so int64 keys, counters and
 * µs timestamps never lose precision.
 */
import { fieldsOf, prop, typeName, unwrapNullable, type NameTable } from './avro-names.js';
import type { AvroSchema } from '../../schema/avro-schema.js';
import { isEntryRecord, scalarPgType } from './pg-type-map.js';
import type { Codec } from './types.js';

const NUL = String.fromCharCode(0);

function checkText(s: string): string {
  // PostgreSQL text cannot hold U+0000; COPY would reject the whole batch.
  if (s.includes(NUL)) throw new TypeError('text contains a NUL character, which PostgreSQL cannot store');
  return s;
}

function toBig(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new TypeError(`expected an integer, got ${typeof v}`);
}

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new TypeError(`expected bytes, got ${typeof v}`);
}

/** Two's-complement big-endian bytes (Avro decimal, Scylla varint) → decimal string with `scale`. */
export function decimalText(bytes: Uint8Array, scale: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
  const neg = n < 0n;
  let digits = (neg ? -n : n).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  } else if (scale < 0) {
    digits = digits === '0' ? '0' : digits + '0'.repeat(-scale);
  }
  return neg ? `-${digits}` : digits;
}

const pad = (n: bigint | number, w: number) => n.toString().padStart(w, '0');

function isoFromMs(ms: bigint): string {
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) throw new TypeError(`timestamp ${ms} ms is out of range`);
  const iso = d.toISOString();
  if (iso.startsWith('+') || iso.startsWith('-')) throw new TypeError(`timestamp ${ms} ms is out of PostgreSQL's range`);
  return iso; // YYYY-MM-DDTHH:MM:SS.sssZ
}

export function timestampText(v: unknown, unit: 'ms' | 'us'): string {
  const n = toBig(v);
  if (unit === 'ms') return isoFromMs(n).replace('Z', '+00');
  let ms = n / 1000n;
  let us = n % 1000n;
  if (us < 0n) {
    us += 1000n;
    ms -= 1n;
  }
  return isoFromMs(ms).replace(/Z$/, `${pad(us, 3)}+00`);
}

export function dateText(v: unknown): string {
  const days = Number(toBig(v));
  return isoFromMs(BigInt(days) * 86_400_000n).slice(0, 10);
}

export function timeText(v: unknown, unit: 'ms' | 'us'): string {
  const us = unit === 'ms' ? toBig(v) * 1000n : toBig(v);
  if (us < 0n || us >= 86_400_000_000n) throw new TypeError(`time of day ${us} µs is out of range`);
  const h = us / 3_600_000_000n;
  const m = (us / 60_000_000n) % 60n;
  const s = (us / 1_000_000n) % 60n;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(us % 1_000_000n, 6)}`;
}

export function inetText(v: unknown): string {
  if (typeof v === 'string') return checkText(v);
  const b = bytesOf(v);
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    return groups.join(':');
  }
  throw new TypeError(`inet must be 4 or 16 bytes, got ${b.length}`);
}

export function byteaText(v: unknown): string {
  return `\\x${Buffer.from(bytesOf(v)).toString('hex')}`;
}

function floatText(v: unknown): string {
  if (typeof v !== 'number') throw new TypeError(`expected a number, got ${typeof v}`);
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

/** A non-null scalar value as PG text. */
export function scalarText(v: unknown, codec: Codec): string {
  switch (codec.c) {
    case 'bool':
      if (typeof v !== 'boolean') throw new TypeError(`expected a boolean, got ${typeof v}`);
      return v ? 't' : 'f';
    case 'int':
      return toBig(v).toString();
    case 'float':
      return floatText(v);
    case 'text':
      if (typeof v === 'string') return checkText(v);
      throw new TypeError(`expected a string, got ${typeof v}`);
    case 'bytea':
      return byteaText(v);
    case 'decimal':
      return decimalText(bytesOf(v), codec.scale);
    case 'date':
      return dateText(v);
    case 'time':
      return timeText(v, codec.unit);
    case 'timestamp':
      return timestampText(v, codec.unit);
    case 'inet':
      return inetText(v);
    case 'json':
      throw new TypeError('json codec is not scalar');
  }
}

/** PG array literal element quoting: always quote, escape `\` and `"`. */
function arrayElement(text: string | null): string {
  if (text === null) return 'NULL';
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function arrayLiteral(texts: (string | null)[]): string {
  return `{${texts.map(arrayElement).join(',')}}`;
}

/** A one-dimensional PG array of scalars. */
export function arrayText(v: unknown, codec: Codec): string {
  if (!Array.isArray(v)) throw new TypeError(`expected an array, got ${typeof v}`);
  return arrayLiteral(v.map((e) => (e === null || e === undefined ? null : scalarText(e, codec))));
}

// ---- jsonb ----

function jsonString(s: string): string {
  return JSON.stringify(checkText(s));
}

/**
 * JSON text of a value of Avro type `schema`. Logical types become their PG text form (so a
 * timestamp inside a UDT reads like a timestamptz), int64 stays exact, bytes become `\x…` hex,
 * maps (array of {key, value}) become objects keyed by the key's text.
 */
export function jsonText(v: unknown, schema: AvroSchema, names: NameTable): string {
  if (v === null || v === undefined) return 'null';
  const s = unwrapNullable(schema, names);
  const t = typeName(s);
  if (t === 'union') return jsonUntyped(v);
  const scalar = scalarPgType(s);
  if (scalar) {
    switch (scalar.codec.c) {
      case 'bool':
        return v ? 'true' : 'false';
      case 'int':
        return toBig(v).toString();
      case 'float':
        return Number.isFinite(v) ? String(v) : JSON.stringify(floatText(v));
      case 'decimal':
        return decimalText(bytesOf(v), scalar.codec.scale);
      default:
        return jsonString(scalarText(v, scalar.codec));
    }
  }
  if (t === 'array') {
    if (!Array.isArray(v)) throw new TypeError('expected an array');
    const items = unwrapNullable(prop(s, 'items') as AvroSchema, names);
    if (isEntryRecord(items)) return mapObjectText(v as { key: unknown; value: unknown }[], items, names);
    return `[${v.map((e) => jsonText(e, items, names)).join(',')}]`;
  }
  if (t === 'map') {
    const values = prop(s, 'values') as AvroSchema;
    const entries = Object.entries(v as Record<string, unknown>);
    return `{${entries.map(([k, e]) => `${jsonString(k)}:${jsonText(e, values, names)}`).join(',')}}`;
  }
  if (t === 'record') {
    const o = v as Record<string, unknown>;
    return `{${fieldsOf(s)
      .map((f) => `${jsonString(f.name)}:${jsonText(o[f.name], f.type, names)}`)
      .join(',')}}`;
  }
  return jsonUntyped(v);
}

/** Map entries → JSON object; the key is its scalar PG text (or its JSON text when not scalar). */
export function mapObjectText(entries: { key: unknown; value: unknown }[], entrySchema: AvroSchema, names: NameTable): string {
  const f = fieldsOf(entrySchema);
  const keyT = f.find((x) => x.name === 'key')!.type;
  const valT = f.find((x) => x.name === 'value')!.type;
  return `{${entries.map((e) => `${jsonString(mapKeyText(e.key, keyT, names))}:${jsonText(e.value, valT, names)}`).join(',')}}`;
}

export function mapKeyText(k: unknown, keyType: AvroSchema, names: NameTable): string {
  const ks = unwrapNullable(keyType, names);
  const scalar = scalarPgType(ks);
  return scalar && scalar.codec.c !== 'json' ? scalarText(k, scalar.codec) : jsonText(k, ks, names);
}

function jsonUntyped(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) return JSON.stringify(byteaText(v));
  if (Array.isArray(v)) return `[${v.map(jsonUntyped).join(',')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, e]) => `${jsonString(k)}:${jsonUntyped(e)}`)
    .join(',')}}`;
}

/**
 * Sortable text key for a list element's timeuuid: Scylla orders list cells by the key's embedded
 * time, which is not the byte order of the uuid text, so the 60-bit timestamp is put first.
 */
export function listKeyText(uuid: string): string {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-1([0-9a-f]{3})-/i.exec(uuid);
  return m ? `${m[3]!.toLowerCase()}${m[2]!.toLowerCase()}${m[1]!.toLowerCase()}:${uuid.toLowerCase()}` : uuid.toLowerCase();
}
