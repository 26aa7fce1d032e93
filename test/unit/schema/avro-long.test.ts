import { describe, expect, it } from 'vitest';
import { avroType } from '../../../src/schema/avro-codec.js';
import { uuidBytesText, uuidText } from '../../../src/schema/uuid-text.js';
import { timeuuidBytesToMicros, timeuuidToMicros } from '../../../src/source/core/log-row.js';

/** Avro's long: zig-zag, then base-128 varint, low group first (the spec), from a BigInt. */
function zigZagVarint(n: bigint): string {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  do {
    const b = Number(z & 0x7fn);
    z >>= 7n;
    out.push(z ? b | 0x80 : b);
  } while (z);
  return Buffer.from(out).toString('hex');
}

describe('long encoding (numbers written straight to the tap)', () => {
  const t = avroType({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'long' }] } as never);
  const edges = [
    0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    2 ** 30,
    -(2 ** 30) - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32 + 1,
    2 ** 52 - 1,
    2 ** 52,
    2 ** 52 + 1,
    -(2 ** 52) + 1,
    -(2 ** 52),
    -(2 ** 52) - 1,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    1_700_000_000_000_001,
  ];

  it('writes the bytes of the spec for numbers around every boundary and for bigints', () => {
    for (const n of edges) expect(t.toBuffer({ a: n }).toString('hex'), String(n)).toBe(zigZagVarint(BigInt(n)));
    for (const n of [2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) - 3n]) expect(t.toBuffer({ a: n }).toString('hex')).toBe(zigZagVarint(n));
  });

  it('writes random large negatives exactly (where avsc float arithmetic would round)', () => {
    for (let i = 0; i < 2000; i++) {
      const n = -Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
      expect(t.toBuffer({ a: n }).toString('hex'), String(n)).toBe(zigZagVarint(BigInt(n)));
    }
  });

  it('still refuses a fraction and reads back what it wrote', () => {
    expect(() => t.toBuffer({ a: 1.5 })).toThrow();
    for (const n of edges) expect(t.fromBuffer(t.toBuffer({ a: n }))).toEqual({ a: n });
  });
});

describe('uuid text', () => {
  it('matches the canonical form of the bytes', () => {
    const b = Buffer.from('04afc00a833b11ee8a7b24e4fb3f20b9', 'hex');
    expect(uuidBytesText(b)).toBe('04afc00a-833b-11ee-8a7b-24e4fb3f20b9');
    expect(uuidText({ buffer: b })).toBe('04afc00a-833b-11ee-8a7b-24e4fb3f20b9');
    expect(uuidText('not-bytes')).toBe('not-bytes');
  });

  it('timeuuid µs from the bytes equal those from the text', () => {
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256)));
      b[6] = (b[6]! & 0x0f) | 0x10; // version 1
      const text = uuidBytesText(b);
      expect(timeuuidBytesToMicros(b, text), text).toBe(timeuuidToMicros(text));
    }
  });
});
