// Stream id layout and the token → shard mapping (docs/features/cdc/cdc-streams.rst; scylladb
// cdc/generation.cc stream_id, dht static sharder).
import type { Prng } from '../prng.js';
import { MAX_TOKEN, MIN_TOKEN } from '../murmur3.js';

const TWO64 = 1n << 64n;
export const SHARDING_IGNORE_MSB = 12;

export function makeStreamId(token: bigint, vnodeIndex: number, rng: Prng): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigInt64BE(token, 0);
  const random38 = rng.nextBigU64() & ((1n << 38n) - 1n);
  const low = (random38 << 26n) | (BigInt(vnodeIndex & 0x3fffff) << 4n) | 1n;
  b.writeBigUInt64BE(low, 8);
  return b;
}

export function shardOf(token: bigint, shards: number, ignoreMsb = SHARDING_IGNORE_MSB): number {
  const biased = (token + (1n << 63n)) & (TWO64 - 1n);
  const shifted = (biased << BigInt(ignoreMsb)) & (TWO64 - 1n);
  return Number((shifted * BigInt(shards)) >> 64n);
}

export { MAX_TOKEN, MIN_TOKEN };
