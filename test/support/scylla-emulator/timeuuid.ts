import type { Prng } from './prng.js';

// 100 ns intervals between 1582-10-15 (UUID epoch) and 1970-01-01.
const UUID_EPOCH_OFFSET = 0x01b21dd213814000n;

/**
 * A version-1 UUID carrying `micros` with random low bytes whose top two bits are the IETF variant
 * (byte 8 in 0x80–0xBF), as scylladb utils/UUID_gen.hh get_random_time_UUID_from_micros builds cdc$time.
 */
export function timeuuidFromMicros(micros: number | bigint, rng: Prng): Buffer {
  const buf = Buffer.allocUnsafe(16);
  writeTimeuuidTimestamp(buf, BigInt(micros) * 10n + UUID_EPOCH_OFFSET);
  rng.fill(buf, 8, 8);
  buf[8] = (buf[8]! & 0x3f) | 0x80;
  return buf;
}

function writeTimeuuidTimestamp(buf: Buffer, ts: bigint): void {
  const low = Number(ts & 0xffffffffn);
  const mid = Number((ts >> 32n) & 0xffffn);
  const hi = Number((ts >> 48n) & 0x0fffn) | 0x1000;
  buf.writeUInt32BE(low, 0);
  buf.writeUInt16BE(mid, 4);
  buf.writeUInt16BE(hi, 6);
}

/** minTimeuuid/maxTimeuuid: the extreme low bytes under a signed-byte comparison (as in Cassandra). */
export function minTimeuuid(ms: number): Buffer {
  const buf = Buffer.alloc(16, 0x80);
  writeTimeuuidTimestamp(buf, BigInt(ms) * 10000n + UUID_EPOCH_OFFSET);
  return buf;
}

export function maxTimeuuid(ms: number): Buffer {
  const buf = Buffer.alloc(16, 0x7f);
  writeTimeuuidTimestamp(buf, BigInt(ms) * 10000n + UUID_EPOCH_OFFSET);
  return buf;
}

/** The 60-bit UUID timestamp in 100 ns ticks since the UUID epoch. */
export function timeuuidTicks(buf: Buffer): bigint {
  const low = BigInt(buf.readUInt32BE(0));
  const mid = BigInt(buf.readUInt16BE(4));
  const hi = BigInt(buf.readUInt16BE(6) & 0x0fff);
  return (hi << 48n) | (mid << 32n) | low;
}

export function timeuuidMicros(buf: Buffer): bigint {
  return (timeuuidTicks(buf) - UUID_EPOCH_OFFSET) / 10n;
}

export function timeuuidMillis(buf: Buffer): number {
  return Number((timeuuidTicks(buf) - UUID_EPOCH_OFFSET) / 10000n);
}

/** Timestamp first, then the low 8 bytes compared as signed bytes (Cassandra TimeUUIDType). */
export function compareTimeuuid(a: Buffer, b: Buffer): number {
  // Compare hi, mid, low timestamp fields without BigInt on the hot path.
  let x = (a.readUInt16BE(6) & 0x0fff) - (b.readUInt16BE(6) & 0x0fff);
  if (x !== 0) return x;
  x = a.readUInt16BE(4) - b.readUInt16BE(4);
  if (x !== 0) return x;
  x = a.readUInt32BE(0) - b.readUInt32BE(0);
  if (x !== 0) return x;
  for (let i = 8; i < 16; i++) {
    const d = a.readInt8(i) - b.readInt8(i);
    if (d !== 0) return d;
  }
  return 0;
}
