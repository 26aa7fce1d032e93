// JS → serialized values, for rows the emulator writes itself (system tables, bulk writes).
import { randomUUID } from 'node:crypto';
import { encodeInet } from '../cql/values.js';
import {
  comparatorFor,
  encodeBigint,
  encodeBool,
  encodeInt,
  encodeSmallint,
  encodeText,
  encodeTinyint,
  encodeVarint,
  serializeCollection,
  serializeTupleLike,
  type CqlType,
} from '../schema/types.js';

export function uuidBytes(s: string = randomUUID()): Buffer {
  return Buffer.from(s.replace(/-/g, ''), 'hex');
}

// `type` is typed loosely because bench/lib/emulator.ts imports this module with its own signature.
export function encodeJs(type: unknown, v: unknown): Buffer | null {
  const t = type as CqlType;
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v;
  switch (t.kind) {
    case 'native':
      switch (t.name) {
        case 'text':
        case 'ascii':
          return encodeText(String(v));
        case 'int':
          return encodeInt(Number(v));
        case 'smallint':
          return encodeSmallint(Number(v));
        case 'tinyint':
          return encodeTinyint(Number(v));
        case 'bigint':
        case 'counter':
        case 'time':
          return encodeBigint(BigInt(v as number));
        case 'timestamp':
          return encodeBigint(BigInt(v instanceof Date ? v.getTime() : (v as number)));
        case 'boolean':
          return encodeBool(Boolean(v));
        case 'double': {
          const b = Buffer.allocUnsafe(8);
          b.writeDoubleBE(Number(v));
          return b;
        }
        case 'float': {
          const b = Buffer.allocUnsafe(4);
          b.writeFloatBE(Number(v));
          return b;
        }
        case 'uuid':
        case 'timeuuid':
          return uuidBytes(String(v));
        case 'inet':
          return encodeInet(String(v));
        case 'varint':
          return encodeVarint(BigInt(v as number));
        case 'blob':
          return Buffer.from(String(v), 'hex');
        default:
          throw new Error(`encodeJs: unsupported ${t.name}`);
      }
    case 'list': {
      const items = (v as unknown[]).map((x) => encodeJs(t.elem, x)!);
      return serializeCollection(items, items.length);
    }
    case 'set': {
      const cmp = comparatorFor(t.elem);
      const items = [...(v as Iterable<unknown>)].map((x) => encodeJs(t.elem, x)!).sort(cmp);
      const dedup = items.filter((x, i) => i === 0 || cmp(items[i - 1]!, x) !== 0);
      return serializeCollection(dedup, dedup.length);
    }
    case 'map': {
      const cmp = comparatorFor(t.key);
      const entries = (v instanceof Map ? [...v.entries()] : Object.entries(v as object))
        .map(([k, x]) => [encodeJs(t.key, k)!, encodeJs(t.value, x)!] as [Buffer, Buffer])
        .sort((a, b) => cmp(a[0], b[0]));
      return serializeCollection(entries.flat(), entries.length);
    }
    case 'tuple':
      return serializeTupleLike((v as unknown[]).map((x, i) => encodeJs(t.elems[i]!, x)));
    case 'udt': {
      const o = v as Record<string, unknown>;
      return serializeTupleLike(t.fieldNames.map((f, i) => encodeJs(t.fieldTypes[i]!, o[f])));
    }
  }
}
