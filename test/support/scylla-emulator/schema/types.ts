// CQL type model: the names ScyllaDB writes into system_schema.columns.type and the
// [option] ids the native protocol uses in result/prepared metadata.
import type { Writer } from '../protocol/buffer.js';
import { invalid } from '../errors.js';
import { compareTimeuuid } from '../timeuuid.js';

export type NativeName =
  | 'ascii'
  | 'bigint'
  | 'blob'
  | 'boolean'
  | 'counter'
  | 'date'
  | 'decimal'
  | 'double'
  | 'duration'
  | 'float'
  | 'inet'
  | 'int'
  | 'smallint'
  | 'text'
  | 'time'
  | 'timestamp'
  | 'timeuuid'
  | 'tinyint'
  | 'uuid'
  | 'varint';

export type CqlType =
  | { kind: 'native'; name: NativeName }
  | { kind: 'list'; elem: CqlType; frozen: boolean }
  | { kind: 'set'; elem: CqlType; frozen: boolean }
  | { kind: 'map'; key: CqlType; value: CqlType; frozen: boolean }
  | { kind: 'tuple'; elems: CqlType[] }
  | { kind: 'udt'; keyspace: string; name: string; fieldNames: string[]; fieldTypes: CqlType[]; frozen: boolean };

const NATIVE_IDS: Record<NativeName, number> = {
  ascii: 0x01,
  bigint: 0x02,
  blob: 0x03,
  boolean: 0x04,
  counter: 0x05,
  decimal: 0x06,
  double: 0x07,
  float: 0x08,
  int: 0x09,
  timestamp: 0x0b,
  uuid: 0x0c,
  text: 0x0d,
  varint: 0x0e,
  timeuuid: 0x0f,
  inet: 0x10,
  date: 0x11,
  time: 0x12,
  smallint: 0x13,
  tinyint: 0x14,
  duration: 0x15,
};

export const NATIVE_NAMES = new Set<string>([...Object.keys(NATIVE_IDS), 'varchar']);

const nativeCache = new Map<string, CqlType>();
export function native(name: NativeName | 'varchar'): CqlType {
  const n: NativeName = name === 'varchar' ? 'text' : name;
  let t = nativeCache.get(n);
  if (!t) {
    t = { kind: 'native', name: n };
    nativeCache.set(n, t);
  }
  return t;
}

export const T = {
  int: native('int'),
  bigint: native('bigint'),
  text: native('text'),
  blob: native('blob'),
  boolean: native('boolean'),
  timeuuid: native('timeuuid'),
  uuid: native('uuid'),
  tinyint: native('tinyint'),
  smallint: native('smallint'),
  timestamp: native('timestamp'),
  double: native('double'),
  inet: native('inet'),
};

export function isMultiCell(t: CqlType): boolean {
  return (t.kind === 'list' || t.kind === 'set' || t.kind === 'map' || t.kind === 'udt') && !t.frozen;
}

export function frozen(t: CqlType): CqlType {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
    case 'udt':
      return t.frozen ? t : { ...t, frozen: true };
    default:
      return t;
  }
}

/** The type as ScyllaDB writes it in system_schema.columns.type. */
export function typeToCql(t: CqlType): string {
  switch (t.kind) {
    case 'native':
      return t.name;
    case 'list':
      return wrapFrozen(`list<${typeToCql(t.elem)}>`, t.frozen);
    case 'set':
      return wrapFrozen(`set<${typeToCql(t.elem)}>`, t.frozen);
    case 'map':
      return wrapFrozen(`map<${typeToCql(t.key)}, ${typeToCql(t.value)}>`, t.frozen);
    case 'tuple':
      return `frozen<tuple<${t.elems.map(typeToCql).join(', ')}>>`;
    case 'udt':
      return wrapFrozen(quoteIfNeeded(t.name), t.frozen);
  }
}

function wrapFrozen(s: string, isFrozen: boolean): string {
  return isFrozen ? `frozen<${s}>` : s;
}

export function quoteIfNeeded(name: string): string {
  return /^[a-z][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function writeTypeOption(w: Writer, t: CqlType): void {
  switch (t.kind) {
    case 'native':
      w.short(NATIVE_IDS[t.name]);
      return;
    case 'list':
      w.short(0x20);
      writeTypeOption(w, t.elem);
      return;
    case 'set':
      w.short(0x22);
      writeTypeOption(w, t.elem);
      return;
    case 'map':
      w.short(0x21);
      writeTypeOption(w, t.key);
      writeTypeOption(w, t.value);
      return;
    case 'tuple':
      w.short(0x31);
      w.short(t.elems.length);
      for (const e of t.elems) writeTypeOption(w, e);
      return;
    case 'udt':
      w.short(0x30);
      w.string(t.keyspace);
      w.string(t.name);
      w.short(t.fieldNames.length);
      for (let i = 0; i < t.fieldNames.length; i++) {
        w.string(t.fieldNames[i]!);
        writeTypeOption(w, t.fieldTypes[i]!);
      }
      return;
  }
}

export function sameType(a: CqlType, b: CqlType): boolean {
  return typeToCql(a) === typeToCql(b) && (a.kind !== 'udt' || (b.kind === 'udt' && a.keyspace === b.keyspace));
}

// ---- value comparison (clustering order, set/map key order) ----

const FIXED_SIZES: Partial<Record<NativeName, number>> = {
  int: 4,
  bigint: 8,
  counter: 8,
  smallint: 2,
  tinyint: 1,
  float: 4,
  double: 8,
  boolean: 1,
  timestamp: 8,
  time: 8,
  date: 4,
  uuid: 16,
  timeuuid: 16,
};

export function validateValue(t: CqlType, v: Buffer, what: string): void {
  if (t.kind !== 'native') return;
  const size = FIXED_SIZES[t.name];
  if (size !== undefined && v.length !== size && v.length !== 0) {
    throw invalid(`Exception while binding column ${what}: marshaling error: Validation failed - non-${t.name} value (${v.length} bytes) for ${t.name}`);
  }
  if ((t.name === 'uuid' || t.name === 'timeuuid') && t.name === 'timeuuid' && v.length === 16 && v[6]! >> 4 !== 1) {
    throw invalid(`Exception while binding column ${what}: marshaling error: Unsupported UUID version (${v[6]! >> 4})`);
  }
}

export type Comparator = (a: Buffer, b: Buffer) => number;

const bytesCompare: Comparator = (a, b) => Buffer.compare(a, b);

function varintValue(b: Buffer): bigint {
  if (b.length === 0) return 0n;
  let v = BigInt.asIntN(8, BigInt(b[0]!));
  for (let i = 1; i < b.length; i++) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

export function comparatorFor(t: CqlType): Comparator {
  if (t.kind !== 'native') {
    if (t.kind === 'tuple' || t.kind === 'udt') {
      const subs = (t.kind === 'tuple' ? t.elems : t.fieldTypes).map(comparatorFor);
      return (a, b) => {
        const ea = splitTupleLike(a);
        const eb = splitTupleLike(b);
        for (let i = 0; i < subs.length; i++) {
          const x = ea[i] ?? null;
          const y = eb[i] ?? null;
          if (x === null || y === null) {
            if (x !== y) return x === null ? -1 : 1;
            continue;
          }
          const c = subs[i]!(x, y);
          if (c !== 0) return c;
        }
        return 0;
      };
    }
    return bytesCompare;
  }
  switch (t.name) {
    case 'int':
      return (a, b) => (a.length === 0 || b.length === 0 ? a.length - b.length : a.readInt32BE(0) - b.readInt32BE(0));
    case 'smallint':
      return (a, b) => a.readInt16BE(0) - b.readInt16BE(0);
    case 'tinyint':
      return (a, b) => a.readInt8(0) - b.readInt8(0);
    case 'bigint':
    case 'counter':
    case 'timestamp':
    case 'time':
      return (a, b) => {
        const x = a.readBigInt64BE(0);
        const y = b.readBigInt64BE(0);
        return x < y ? -1 : x > y ? 1 : 0;
      };
    case 'date':
      return (a, b) => a.readUInt32BE(0) - b.readUInt32BE(0);
    case 'float':
      return (a, b) => Math.sign(a.readFloatBE(0) - b.readFloatBE(0));
    case 'double':
      return (a, b) => Math.sign(a.readDoubleBE(0) - b.readDoubleBE(0));
    case 'varint':
      return (a, b) => {
        const x = varintValue(a);
        const y = varintValue(b);
        return x < y ? -1 : x > y ? 1 : 0;
      };
    case 'decimal':
      return (a, b) => Math.sign(decimalNumber(a) - decimalNumber(b));
    case 'timeuuid':
      return compareTimeuuid;
    case 'uuid':
      return (a, b) => {
        const va = a[6]! >> 4;
        const vb = b[6]! >> 4;
        if (va !== vb) return va - vb;
        if (va === 1) return compareTimeuuid(a, b);
        return Buffer.compare(a, b);
      };
    default:
      return bytesCompare;
  }
}

function decimalNumber(b: Buffer): number {
  const scale = b.readInt32BE(0);
  return Number(varintValue(b.subarray(4))) / 10 ** scale;
}

// ---- collection (de)serialization, protocol v4: int32 count, then [bytes] elements ----

export function serializeCollection(elems: readonly (Buffer | null)[], count: number): Buffer {
  let size = 4;
  for (const e of elems) size += 4 + (e ? e.length : 0);
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(count, 0);
  let off = 4;
  for (const e of elems) {
    if (e === null) {
      out.writeInt32BE(-1, off);
      off += 4;
      continue;
    }
    out.writeInt32BE(e.length, off);
    e.copy(out, off + 4);
    off += 4 + e.length;
  }
  return out;
}

export function serializeTupleLike(elems: readonly (Buffer | null)[]): Buffer {
  return serializeCollection(elems, 0).subarray(4);
}

export function splitCollection(b: Buffer): Buffer[] {
  const n = b.readInt32BE(0);
  const out: Buffer[] = [];
  let off = 4;
  for (let i = 0; i < n; i++) {
    const len = b.readInt32BE(off);
    off += 4;
    if (len < 0) {
      out.push(Buffer.alloc(0));
      continue;
    }
    out.push(b.subarray(off, off + len));
    off += len;
  }
  return out;
}

export function splitTupleLike(b: Buffer): (Buffer | null)[] {
  const out: (Buffer | null)[] = [];
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readInt32BE(off);
    off += 4;
    if (len < 0) {
      out.push(null);
      continue;
    }
    out.push(b.subarray(off, off + len));
    off += len;
  }
  return out;
}

export function encodeInt(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(v);
  return b;
}
export function encodeBigint(v: bigint | number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}
export function encodeSmallint(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(v);
  return b;
}
export function encodeTinyint(v: number): Buffer {
  const b = Buffer.allocUnsafe(1);
  b.writeInt8(v);
  return b;
}
export function encodeBool(v: boolean): Buffer {
  return v ? TRUE : FALSE;
}
export function encodeText(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}
export function encodeTimestamp(ms: number): Buffer {
  return encodeBigint(BigInt(Math.trunc(ms)));
}
export const TRUE = Buffer.from([1]);
export const FALSE = Buffer.from([0]);

export function encodeVarint(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    bytes.unshift(Number(x & 0xffn));
    const next = x >> 8n;
    const signOk = (x >= 0n && next === 0n && (bytes[0]! & 0x80) === 0) || (x < 0n && next === -1n && (bytes[0]! & 0x80) !== 0);
    if (signOk) break;
    x = next;
  }
  return Buffer.from(bytes);
}
