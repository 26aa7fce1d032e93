/**
 * CQL values as the driver returns them → plain values avsc can encode against cql-to-avro.ts.
 *
 * The driver's value classes (Long, BigDecimal, Integer, Uuid, LocalDate, LocalTime, InetAddress,
 * Duration, Tuple) are recognised by shape, not imported, so this module stays free of I/O
 * dependencies and also accepts plain test values (numbers, bigint, strings, Date, Buffer).
 */
import type { CqlType } from './cql-type.js';
import { sanitizeAvroName } from './cql-to-avro.js';
import { uuidText } from './uuid-text.js';

type Obj = Record<string, unknown>;

const MS_PER_DAY = 86_400_000;

// A driver Long whose high word keeps it within ±(2^53 − 1) (every bigint the source usually sees).
const SAFE_HIGH = 2 ** 21;

function toLong(v: unknown): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  const l = v as { high?: unknown; low?: unknown; unsigned?: unknown };
  if (l && typeof l.high === 'number' && typeof l.low === 'number' && l.unsigned === false && l.high > -SAFE_HIGH && l.high < SAFE_HIGH) {
    return l.high * 4294967296 + (l.low >>> 0);
  }
  if (typeof v === 'string') return safeLong(BigInt(v));
  if (v && typeof v === 'object' && 'toString' in v) return safeLong(BigInt(String(v)));
  throw new TypeError(`expected a 64-bit integer, got ${typeof v}`);
}

function safeLong(b: bigint): number | bigint {
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

function toDays(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Date) return Math.floor(v.getTime() / MS_PER_DAY);
  const o = v as Obj;
  if (typeof o._value === 'number') return o._value; // LocalDate outside the JS Date range keeps raw days
  if (typeof o.year === 'number' && typeof o.month === 'number' && typeof o.day === 'number') {
    const d = new Date(0);
    d.setUTCFullYear(o.year, o.month - 1, o.day);
    return Math.floor(d.getTime() / MS_PER_DAY);
  }
  if (typeof v === 'string') return Math.floor(Date.parse(`${v}T00:00:00Z`) / MS_PER_DAY);
  throw new TypeError('expected a date');
}

function toTimeMicros(v: unknown): number | bigint {
  const o = v as { getTotalNanoseconds?: () => unknown };
  if (o && typeof o.getTotalNanoseconds === 'function') {
    return safeLong(BigInt(String(o.getTotalNanoseconds())) / 1000n);
  }
  if (typeof v === 'bigint') return safeLong(v / 1000n); // nanoseconds
  return toLong(v);
}

function toMillis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return Number(toLong(v));
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'hex');
  throw new TypeError('expected bytes');
}

function iterate(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return [...v.keys()];
  throw new TypeError('expected a list or set');
}

/** Entries of a map value in the server's order (the driver keeps it when `encoding.map = Map`). */
export function mapEntries(v: unknown): [unknown, unknown][] {
  if (v instanceof Map) return [...v.entries()];
  if (Array.isArray(v)) return v.map((e) => (Array.isArray(e) ? [e[0], e[1]] : [(e as Obj).key, (e as Obj).value]));
  if (v && typeof v === 'object') return Object.entries(v as Obj);
  throw new TypeError('expected a map');
}

function tupleElements(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  const o = v as { elements?: unknown[]; values?: () => unknown[] };
  if (Array.isArray(o.elements)) return o.elements;
  if (typeof o.values === 'function') return o.values();
  throw new TypeError('expected a tuple');
}

/** Converts one non-null value; null/undefined pass through as null. */
export function toAvroValue(t: CqlType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'native':
      switch (t.name) {
        case 'ascii':
        case 'text':
        case 'varchar':
          return String(v);
        case 'boolean':
          return Boolean(v);
        case 'tinyint':
        case 'smallint':
        case 'int':
          return Number(v);
        case 'bigint':
        case 'counter':
          return toLong(v);
        case 'float':
        case 'double':
          return Number(v);
        case 'uuid':
        case 'timeuuid':
          return uuidText(v);
        case 'decimal':
        case 'varint':
        case 'inet':
        case 'duration':
          return String(v);
        case 'blob':
          return Buffer.from(toBytes(v));
        case 'timestamp':
          return toMillis(v);
        case 'date':
          return toDays(v);
        case 'time':
          return toTimeMicros(v);
      }
      break;
    case 'list':
    case 'set':
      return iterate(v).map((e) => toAvroValue(t.element, e));
    case 'map':
      return mapEntries(v).map(([k, val]) => ({ key: toAvroValue(t.key, k), value: toAvroValue(t.value, val) }));
    case 'udt': {
      const o = v as Obj;
      const out: Obj = {};
      for (const f of t.fields) out[sanitizeAvroName(f.name)] = toAvroValue(f.type, o[f.name]);
      return out;
    }
    case 'tuple': {
      const els = tupleElements(v);
      const out: Obj = {};
      t.elements.forEach((e, i) => (out[`f${i}`] = toAvroValue(e, els[i])));
      return out;
    }
  }
  return v;
}
