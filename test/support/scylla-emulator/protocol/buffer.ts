// Growable writer and bounds-checked reader for the CQL [int]/[short]/[string]/[bytes] notation.
import { CqlError, ErrorCode } from '../errors.js';

export class Writer {
  private buf: Buffer;
  pos = 0;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  short(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  long(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  raw(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  string(s: string): this {
    const len = Buffer.byteLength(s);
    this.ensure(2 + len);
    this.buf.writeUInt16BE(len, this.pos);
    this.buf.write(s, this.pos + 2);
    this.pos += 2 + len;
    return this;
  }
  longString(s: string): this {
    const len = Buffer.byteLength(s);
    this.ensure(4 + len);
    this.buf.writeInt32BE(len, this.pos);
    this.buf.write(s, this.pos + 4);
    this.pos += 4 + len;
    return this;
  }
  bytes(b: Buffer | null): this {
    if (b === null) return this.int(-1);
    this.ensure(4 + b.length);
    this.buf.writeInt32BE(b.length, this.pos);
    b.copy(this.buf, this.pos + 4);
    this.pos += 4 + b.length;
    return this;
  }
  shortBytes(b: Buffer): this {
    this.short(b.length);
    return this.raw(b);
  }
  stringList(list: readonly string[]): this {
    this.short(list.length);
    for (const s of list) this.string(s);
    return this;
  }
  stringMultimap(m: Record<string, string[]>): this {
    const keys = Object.keys(m);
    this.short(keys.length);
    for (const k of keys) {
      this.string(k);
      this.stringList(m[k]!);
    }
    return this;
  }
  /** Reserve `n` bytes to patch later (e.g. a row count known only at the end). */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  patchInt(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function protocolError(msg: string): CqlError {
  return new CqlError(ErrorCode.protocol, msg);
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw protocolError('Not enough bytes to read the request body');
  }
  remaining(): number {
    return this.buf.length - this.pos;
  }
  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  short(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  long(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  string(): string {
    const n = this.short();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  longString(): string {
    const n = this.int();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  shortBytes(): Buffer {
    const n = this.short();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  bytes(): Buffer | null {
    const n = this.int();
    if (n < 0) return null;
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** [value]: -1 is null, -2 is "unset" (protocol v4). */
  value(): Buffer | null | typeof UNSET {
    const n = this.int();
    if (n === -2) return UNSET;
    if (n < 0) return null;
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  stringMap(): Record<string, string> {
    const n = this.short();
    const out: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const k = this.string();
      out[k] = this.string();
    }
    return out;
  }
  stringList(): string[] {
    const n = this.short();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.string());
    return out;
  }
}

export const UNSET: unique symbol = Symbol('unset');
export type BoundValue = Buffer | null | typeof UNSET;
