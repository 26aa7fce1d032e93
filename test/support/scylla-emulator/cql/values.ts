// Term evaluation: CQL literals, bind markers and the few functions readers use, turned into the
// protocol's serialized form for a given target type.
import { isIP } from 'node:net';
import { invalid } from '../errors.js';
import { UNSET, type BoundValue } from '../protocol/buffer.js';
import type { Prng } from '../prng.js';
import { maxTimeuuid, minTimeuuid, timeuuidFromMicros } from '../timeuuid.js';
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
  T,
  typeToCql,
  validateValue,
  type CqlType,
} from '../schema/types.js';
import type { Term } from './ast.js';

export interface EvalContext {
  binds: readonly BoundValue[];
  rng: Prng;
  nowMicros: () => number;
}

export function evalTerm(term: Term, type: CqlType, ctx: EvalContext, what: string): BoundValue {
  switch (term.k) {
    case 'bind': {
      const v = ctx.binds[term.idx];
      if (v === undefined) throw invalid(`There were ${ctx.binds.length} markers(?) in CQL but ${term.idx + 1} values were expected`);
      if (v !== null && v !== UNSET) validateValue(type, v, what);
      return v;
    }
    case 'fn':
      return evalFunction(term, type, ctx, what);
    case 'lit':
      if (term.t === 'null') return null;
      return encodeLiteral(term, type, what);
    case 'list':
    case 'set':
    case 'map':
    case 'udt':
    case 'tuple':
      return encodeCollectionTerm(term, type, ctx, what);
  }
}

function mustBe(type: CqlType, name: string, what: string): never {
  throw invalid(`Invalid ${name} constant for ${what} of type ${typeToCql(type)}`);
}

function encodeCollectionTerm(term: Term, type: CqlType, ctx: EvalContext, what: string): Buffer {
  const sub = (t: Term, ty: CqlType): Buffer => {
    const v = evalTerm(t, ty, ctx, what);
    if (v === null || v === UNSET) throw invalid(`null is not supported inside collections`);
    return v;
  };
  if (type.kind === 'list') {
    if (term.k !== 'list') return mustBe(type, 'list literal', what);
    const items = term.items.map((i) => sub(i, type.elem));
    return serializeCollection(items, items.length);
  }
  if (type.kind === 'set') {
    if (term.k === 'map' && term.entries.length === 0) return serializeCollection([], 0);
    if (term.k !== 'set' && term.k !== 'list') return mustBe(type, 'set literal', what);
    const cmp = comparatorFor(type.elem);
    const items = sortDedup(
      term.items.map((i) => sub(i, type.elem)),
      cmp,
    );
    return serializeCollection(items, items.length);
  }
  if (type.kind === 'map') {
    if (term.k === 'set' && term.items.length === 0) return serializeCollection([], 0);
    if (term.k !== 'map') return mustBe(type, 'map literal', what);
    const cmp = comparatorFor(type.key);
    const entries = term.entries.map(([k, v]) => [sub(k, type.key), sub(v, type.value)] as [Buffer, Buffer]);
    entries.sort((a, b) => cmp(a[0], b[0]));
    const flat: Buffer[] = [];
    let count = 0;
    for (let i = 0; i < entries.length; i++) {
      if (i + 1 < entries.length && cmp(entries[i]![0], entries[i + 1]![0]) === 0) continue;
      flat.push(entries[i]![0], entries[i]![1]);
      count++;
    }
    return serializeCollection(flat, count);
  }
  if (type.kind === 'tuple') {
    if (term.k !== 'tuple') return mustBe(type, 'tuple literal', what);
    if (term.items.length > type.elems.length) throw invalid(`Invalid tuple literal for ${what}: too many elements`);
    return serializeTupleLike(
      term.items.map((t, i) => {
        const v = evalTerm(t, type.elems[i]!, ctx, what);
        return v === UNSET ? null : v;
      }),
    );
  }
  if (type.kind === 'udt') {
    if (term.k !== 'udt') return mustBe(type, 'user type literal', what);
    const vals: (Buffer | null)[] = type.fieldNames.map(() => null);
    for (const [f, t] of term.fields) {
      const idx = type.fieldNames.indexOf(f);
      if (idx < 0) throw invalid(`Unknown field '${f}' in value of user defined type ${type.name}`);
      const v = evalTerm(t, type.fieldTypes[idx]!, ctx, what);
      vals[idx] = v === UNSET ? null : v;
    }
    return serializeTupleLike(vals);
  }
  return mustBe(type, term.k + ' literal', what);
}

function sortDedup(items: Buffer[], cmp: (a: Buffer, b: Buffer) => number): Buffer[] {
  items.sort(cmp);
  return items.filter((v, i) => i === 0 || cmp(items[i - 1]!, v) !== 0);
}

function evalFunction(term: Extract<Term, { k: 'fn' }>, type: CqlType, ctx: EvalContext, what: string): BoundValue {
  const arg = (i: number, t: CqlType): Buffer => {
    const a = term.args[i];
    if (!a) throw invalid(`Invalid number of arguments in call to function ${term.name}`);
    const v = evalTerm(a, t, ctx, what);
    if (v === null || v === UNSET) throw invalid(`Invalid null value for argument to ${term.name}`);
    return v;
  };
  switch (term.name) {
    case 'now':
    case 'currenttimeuuid':
      return timeuuidFromMicros(ctx.nowMicros(), ctx.rng);
    case 'uuid': {
      const b = ctx.rng.fill(Buffer.allocUnsafe(16));
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      return b;
    }
    case 'mintimeuuid':
      return minTimeuuid(Number(arg(0, T.timestamp).readBigInt64BE(0)));
    case 'maxtimeuuid':
      return maxTimeuuid(Number(arg(0, T.timestamp).readBigInt64BE(0)));
    case 'currenttimestamp':
      return encodeBigint(Math.floor(ctx.nowMicros() / 1000));
    case 'totimestamp':
    case 'tounixtimestamp': {
      const a = term.args[0];
      if (a && a.k === 'fn' && (a.name === 'now' || a.name === 'currenttimeuuid')) return encodeBigint(Math.floor(ctx.nowMicros() / 1000));
      return arg(0, T.timestamp);
    }
    case 'textasblob':
    case 'varcharasblob':
      return arg(0, T.text);
    case 'intasblob':
      return arg(0, T.int);
    case 'bigintasblob':
      return arg(0, T.bigint);
    default:
      throw invalid(`Unknown function '${term.name}' (emulator)`);
  }
}

export function encodeLiteral(term: Extract<Term, { k: 'lit' }>, type: CqlType, what: string): Buffer {
  if (type.kind !== 'native') return mustBe(type, term.t, what);
  const isInt = term.t === 'int';
  const num = term.t === 'int' || term.t === 'float' || term.t === 'nan' || term.t === 'inf';
  switch (type.name) {
    case 'int':
      if (!isInt) return mustBe(type, term.t, what);
      return encodeInt(checkRange(term.v, -(2 ** 31), 2 ** 31 - 1, what));
    case 'smallint':
      if (!isInt) return mustBe(type, term.t, what);
      return encodeSmallint(checkRange(term.v, -32768, 32767, what));
    case 'tinyint':
      if (!isInt) return mustBe(type, term.t, what);
      return encodeTinyint(checkRange(term.v, -128, 127, what));
    case 'bigint':
    case 'counter':
      if (!isInt) return mustBe(type, term.t, what);
      return encodeBigint(BigInt(term.v));
    case 'varint':
      if (!isInt) return mustBe(type, term.t, what);
      return encodeVarint(BigInt(term.v));
    case 'float':
    case 'double': {
      if (!num) return mustBe(type, term.t, what);
      const v = term.t === 'nan' ? NaN : term.t === 'inf' ? (term.v === '-' ? -Infinity : Infinity) : Number(term.v);
      const b = Buffer.allocUnsafe(type.name === 'float' ? 4 : 8);
      if (type.name === 'float') b.writeFloatBE(v);
      else b.writeDoubleBE(v);
      return b;
    }
    case 'decimal': {
      if (!num) return mustBe(type, term.t, what);
      const m = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(term.v);
      if (!m) return mustBe(type, term.t, what);
      const frac = m[3] ?? '';
      let scale = frac.length - Number(m[4] ?? 0);
      let unscaled = BigInt((m[1] ?? '') + (m[2] ?? '') + frac);
      if (scale < 0) {
        unscaled *= 10n ** BigInt(-scale);
        scale = 0;
      }
      const s = Buffer.allocUnsafe(4);
      s.writeInt32BE(scale);
      return Buffer.concat([s, encodeVarint(unscaled)]);
    }
    case 'text':
    case 'ascii':
      if (term.t !== 'str') return mustBe(type, term.t, what);
      return encodeText(term.v);
    case 'blob':
      if (term.t !== 'blob') return mustBe(type, term.t, what);
      return Buffer.from(term.v, 'hex');
    case 'boolean':
      if (term.t !== 'bool') return mustBe(type, term.t, what);
      return encodeBool(term.v === 'true');
    case 'uuid':
    case 'timeuuid': {
      if (term.t !== 'uuid') return mustBe(type, term.t, what);
      const b = Buffer.from(term.v.replace(/-/g, ''), 'hex');
      if (type.name === 'timeuuid' && b[6]! >> 4 !== 1) throw invalid(`Unsupported UUID version for timeuuid ${what}`);
      return b;
    }
    case 'timestamp': {
      if (isInt) return encodeBigint(BigInt(term.v));
      if (term.t !== 'str') return mustBe(type, term.t, what);
      const ms = parseTimestamp(term.v);
      if (Number.isNaN(ms)) throw invalid(`Unable to coerce '${term.v}' to a formatted date (long)`);
      return encodeBigint(ms);
    }
    case 'date': {
      const b = Buffer.allocUnsafe(4);
      if (isInt) {
        b.writeUInt32BE(Number(term.v) >>> 0);
        return b;
      }
      if (term.t !== 'str') return mustBe(type, term.t, what);
      const ms = Date.parse(term.v + 'T00:00:00Z');
      if (Number.isNaN(ms)) throw invalid(`Unable to coerce '${term.v}' to a formatted date`);
      b.writeUInt32BE((Math.floor(ms / 86400000) + 2 ** 31) >>> 0);
      return b;
    }
    case 'time': {
      if (isInt) return encodeBigint(BigInt(term.v));
      if (term.t !== 'str') return mustBe(type, term.t, what);
      const m = /^(\d+):(\d+):(\d+)(?:\.(\d{1,9}))?$/.exec(term.v);
      if (!m) throw invalid(`Unable to coerce '${term.v}' to a time`);
      const ns = ((BigInt(m[1]!) * 60n + BigInt(m[2]!)) * 60n + BigInt(m[3]!)) * 1_000_000_000n + BigInt((m[4] ?? '').padEnd(9, '0'));
      return encodeBigint(ns);
    }
    case 'inet': {
      if (term.t !== 'str') return mustBe(type, term.t, what);
      return encodeInet(term.v, what);
    }
    case 'duration':
      throw invalid('duration literals are not supported by the emulator');
  }
}

function checkRange(v: string, min: number, max: number, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(`Invalid integer constant ${v} for ${what}`);
  return n;
}

function parseTimestamp(s: string): number {
  let t = s.trim().replace(' ', 'T');
  t = t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) t += 'T00:00:00Z';
  else if (!/(Z|[+-]\d{2}:\d{2})$/.test(t)) t += 'Z';
  return Date.parse(t);
}

export function encodeInet(s: string, what = 'inet'): Buffer {
  const kind = isIP(s);
  if (kind === 4) return Buffer.from(s.split('.').map(Number));
  if (kind === 6) {
    const [head = '', tail = ''] = s.split('::');
    const h = head ? head.split(':') : [];
    const tl = s.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = s.includes('::') ? [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl] : h;
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
    return b;
  }
  throw invalid(`Unable to make inet address from '${s}' for ${what}`);
}
