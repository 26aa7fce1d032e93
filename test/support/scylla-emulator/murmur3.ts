// Cassandra's Murmur3Partitioner token: the first 64 bits of MurmurHash3_x64_128 (seed 0) over the
// serialized partition key, with Cassandra's quirk of sign-extending tail bytes
// (apache/cassandra utils/MurmurHash.java hash3_x64_128; the Node driver's lib/tokenizer.js mirrors it).
const M64 = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;
export const MIN_TOKEN = -(1n << 63n);
export const MAX_TOKEN = (1n << 63n) - 1n;

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & M64;
}

function fmix(k: bigint): bigint {
  k ^= k >> 33n;
  k = (k * 0xff51afd7ed558ccdn) & M64;
  k ^= k >> 33n;
  k = (k * 0xc4ceb9fe1a85ec53n) & M64;
  k ^= k >> 33n;
  return k;
}

function signedByte(b: number): bigint {
  return BigInt(b >= 128 ? b - 256 : b) & M64;
}

export function murmur3Token(data: Buffer): bigint {
  const len = data.length;
  const nblocks = len >> 4;
  let h1 = 0n;
  let h2 = 0n;
  for (let i = 0; i < nblocks; i++) {
    let k1 = data.readBigUInt64LE(i * 16);
    let k2 = data.readBigUInt64LE(i * 16 + 8);
    k1 = (k1 * C1) & M64;
    k1 = rotl(k1, 31n);
    k1 = (k1 * C2) & M64;
    h1 ^= k1;
    h1 = rotl(h1, 27n);
    h1 = (h1 + h2) & M64;
    h1 = (h1 * 5n + 0x52dce729n) & M64;
    k2 = (k2 * C2) & M64;
    k2 = rotl(k2, 33n);
    k2 = (k2 * C1) & M64;
    h2 ^= k2;
    h2 = rotl(h2, 31n);
    h2 = (h2 + h1) & M64;
    h2 = (h2 * 5n + 0x38495ab5n) & M64;
  }
  const tail = nblocks * 16;
  let k1 = 0n;
  let k2 = 0n;
  const rem = len & 15;
  for (let i = rem - 1; i >= 8; i--) k2 ^= (signedByte(data[tail + i]!) << BigInt((i - 8) * 8)) & M64;
  if (rem > 8) {
    k2 = (k2 * C2) & M64;
    k2 = rotl(k2, 33n);
    k2 = (k2 * C1) & M64;
    h2 ^= k2;
  }
  for (let i = Math.min(rem, 8) - 1; i >= 0; i--) k1 ^= (signedByte(data[tail + i]!) << BigInt(i * 8)) & M64;
  if (rem > 0) {
    k1 = (k1 * C1) & M64;
    k1 = rotl(k1, 31n);
    k1 = (k1 * C2) & M64;
    h1 ^= k1;
  }
  h1 ^= BigInt(len);
  h2 ^= BigInt(len);
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) & M64;
  const token = BigInt.asIntN(64, h1);
  // Cassandra reserves Long.MIN_VALUE for the minimum token; a key hashing there is moved to MAX.
  return token === MIN_TOKEN ? MAX_TOKEN : token;
}

/** Serialized partition key: the value itself for one column, else the composite encoding. */
export function partitionKeyBytes(values: readonly Buffer[]): Buffer {
  if (values.length === 1) return values[0]!;
  const parts: Buffer[] = [];
  for (const v of values) {
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(v.length);
    parts.push(len, v, Buffer.from([0]));
  }
  return Buffer.concat(parts);
}

/** ScyllaDB's CDCPartitioner: the first 8 bytes of the stream id, big-endian signed. */
export function cdcToken(streamId: Buffer): bigint {
  if (streamId.length < 8) return MIN_TOKEN;
  return streamId.readBigInt64BE(0);
}
