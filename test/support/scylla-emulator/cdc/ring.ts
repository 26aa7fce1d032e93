// A vnode generation's streams, derived on demand from the token ring: nothing is stored per
// stream, so a ring of 25,600 vnodes × 8 shards (204,800 streams) costs its tokens only.
// The layout is ScyllaDB's (cdc/generation.cc `create_stream_ids`): for vnode range (start, end]
// and each shard, the stream's token is `dht::find_first_token_for_shard` (dht/token.cc), the first
// token of the range that the shard owns, or `end` when the shard owns none of it (a vnode range
// narrower than a shard's span: several streams of the range then share the token `end`).
// Stream id = token | random38 | vnode index (22 bits) | version 1 (cdc/generation.cc `stream_id`);
// the 38 random bits come from a hash of (generation salt, vnode, shard) instead of mt19937, so
// the same id is derived every time it is asked for.
import { MAX_TOKEN, MIN_TOKEN, SHARDING_IGNORE_MSB, shardOf } from './streams.js';

const TWO63 = 1n << 63n;
const MASK64 = (1n << 64n) - 1n;

/** splitmix64's finaliser: a well-mixed 64-bit value from a 64-bit input. */
export function mix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** The smallest low part (below the ignored MSBs) that `shard` owns (ScyllaDB `init_zero_based_shard_start`). */
function shardStart(shard: number, shards: number, ignoreMsb: number): bigint {
  const span = 1n << BigInt(64 - ignoreMsb);
  return (BigInt(shard) * span + BigInt(shards) - 1n) / BigInt(shards);
}

/**
 * The first token after `t` owned by `shard`, or null when there is none before the ring's end
 * (ScyllaDB dht/token.cc `token_for_next_shard` with spans = 1).
 */
export function tokenForNextShard(t: bigint, shard: number, shards: number, ignoreMsb = SHARDING_IGNORE_MSB): bigint | null {
  const n = (t + TWO63) & MASK64;
  const s = shardOf(t, shards, ignoreMsb);
  const lowBits = BigInt(64 - ignoreMsb);
  let left = n >> lowBits;
  left += shard > s ? 0n : 1n;
  if (left >= 1n << BigInt(ignoreMsb)) return null;
  return ((left << lowBits) | shardStart(shard, shards, ignoreMsb)) - TWO63;
}

/** First token of (start, end] (start < end) owned by `shard`, else `end`; null = "maximum token". */
function firstInPlainRange(start: bigint, end: bigint | null, shard: number, shards: number): bigint | null {
  let t: bigint | null = start + 1n;
  if (shardOf(t, shards) !== shard) t = tokenForNextShard(t, shard, shards);
  if (t === null) return end;
  return end === null || t < end ? t : end;
}

/** ScyllaDB dht/token.cc `find_first_token_for_shard`, wrap-around ranges included. */
export function findFirstTokenForShard(start: bigint, end: bigint, shard: number, shards: number): bigint {
  if (start < end) return firstInPlainRange(start, end, shard, shards)!;
  if (start !== MAX_TOKEN) {
    const t = firstInPlainRange(start, null, shard, shards);
    if (t !== null) return t;
  }
  return firstInPlainRange(MIN_TOKEN, end, shard, shards)!;
}

export function streamIdOf(token: bigint, vnodeIndex: number, random: bigint): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigInt64BE(token, 0);
  const random38 = random & ((1n << 38n) - 1n);
  b.writeBigUInt64BE((random38 << 26n) | (BigInt(vnodeIndex & 0x3fffff) << 4n) | 1n, 8);
  return b;
}

/** A generation's ring: sorted vnode tokens (shared between generations while unchanged) and a salt. */
export interface Ring {
  tokens: BigInt64Array;
  shards: number;
  salt: bigint;
}

/** Index of the vnode whose range (prev, end] holds `token` (the first end >= token, wrapping to 0). */
export function vnodeOf(ring: Ring, token: bigint): number {
  const ends = ring.tokens;
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! < token) lo = mid + 1;
    else hi = mid;
  }
  return lo === ends.length ? 0 : lo;
}

/** The stream of vnode `i`, shard `shard`. */
export function streamOf(ring: Ring, i: number, shard: number): Buffer {
  const ends = ring.tokens;
  const end = ends[i]!;
  const prev = ends[i === 0 ? ends.length - 1 : i - 1]!;
  // One vnode: its range (end, end] is the whole ring, a wrap-around range.
  const token = findFirstTokenForShard(prev, end, shard, ring.shards);
  return streamIdOf(token, i, mix64(ring.salt ^ (BigInt(i) * BigInt(ring.shards) + BigInt(shard))));
}

/** The streams of vnode `i`, one per shard, sorted as ScyllaDB's frozen set<blob> holds them. */
export function streamsOfVnode(ring: Ring, i: number): Buffer[] {
  const out: Buffer[] = [];
  for (let s = 0; s < ring.shards; s++) out.push(streamOf(ring, i, s));
  return out.sort(Buffer.compare);
}

/** The stream a write with `token` goes to: its vnode's stream of the shard owning the token. */
export function streamForToken(ring: Ring, token: bigint): Buffer {
  return streamOf(ring, vnodeOf(ring, token), shardOf(token, ring.shards));
}
