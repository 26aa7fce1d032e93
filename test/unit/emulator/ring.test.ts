// The emulator's derived vnode streams (test/support/scylla-emulator/cdc/ring.ts): ScyllaDB's
// find_first_token_for_shard layout, checked by its properties on a ring as large as a
// 100-node × 256-vnode cluster.
import { describe, expect, it } from 'vitest';
import { findFirstTokenForShard, streamForToken, streamOf, streamsOfVnode, tokenForNextShard, vnodeOf, type Ring } from '../../support/scylla-emulator/cdc/ring.js';
import { MAX_TOKEN, MIN_TOKEN, shardOf } from '../../support/scylla-emulator/cdc/streams.js';
import { Prng } from '../../support/scylla-emulator/prng.js';

const SPAN = 1n << 52n; // 64 − ignore_msb 12: a shard owns one run per span

function ring(vnodes: number, shards: number, seed = 7): Ring {
  const rng = new Prng(seed);
  const set = new Set<bigint>();
  while (set.size < vnodes) set.add(BigInt.asIntN(64, rng.nextBigU64()));
  return { tokens: BigInt64Array.from([...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))), shards, salt: 42n };
}

describe('token_for_next_shard', () => {
  it('returns the start of the next run of the shard, with no token of the shard in between', () => {
    const rng = new Prng(3);
    for (let k = 0; k < 2000; k++) {
      const shards = 2 + (k % 7); // with one shard every token is its own
      const shard = k % shards;
      const t = BigInt.asIntN(64, rng.nextBigU64());
      const r = tokenForNextShard(t, shard, shards);
      if (r === null) {
        // Only near the ring's end: no later run of the shard exists.
        expect(MAX_TOKEN - t).toBeLessThan(SPAN);
        continue;
      }
      expect(r).toBeGreaterThan(t);
      expect(shardOf(r, shards)).toBe(shard);
      expect(shardOf(r - 1n, shards)).not.toBe(shard);
      const runLength = SPAN / BigInt(shards);
      // t inside a run of the shard: the next run (ScyllaDB's meaning; find_first_token_for_shard
      // asks only when start + 1 is not the shard's). Otherwise the shard's previous run (runs are
      // SPAN apart, each about SPAN/shards long) ends before t: nothing of the shard in between.
      if (shardOf(t, shards) === shard) expect(r - SPAN).toBeLessThanOrEqual(t);
      else expect(r - SPAN + runLength - 1n).toBeLessThanOrEqual(t);
    }
  });
});

describe('find_first_token_for_shard', () => {
  it('gives the first token after start owned by the shard, or end', () => {
    expect(findFirstTokenForShard(10n, 20n, shardOf(11n, 4), 4)).toBe(11n);
    // A range far narrower than a shard's run: only one shard owns tokens there, the others get `end`.
    const owner = shardOf(11n, 4);
    for (let s = 0; s < 4; s++) if (s !== owner) expect(findFirstTokenForShard(10n, 20n, s, 4)).toBe(20n);
  });

  it('wraps around the ring end', () => {
    const start = MAX_TOKEN - 5n;
    const shard = shardOf(MIN_TOKEN + 1n, 2) === shardOf(MAX_TOKEN, 2) ? 1 - shardOf(MAX_TOKEN, 2) : shardOf(MIN_TOKEN + 1n, 2);
    const t = findFirstTokenForShard(start, MIN_TOKEN + SPAN * 3n, shard, 2);
    expect(shardOf(t, 2)).toBe(shard);
    expect(t).toBeLessThan(MIN_TOKEN + SPAN * 3n);
  });
});

describe('a 25,600-vnode × 8-shard generation', () => {
  const r = ring(25_600, 8);

  it('puts every stream token in its vnode range, owned by its shard or equal to the range end', () => {
    const ids = new Set<string>();
    let atEnd = 0;
    for (let i = 0; i < r.tokens.length; i += 7) {
      const end = r.tokens[i]!;
      const prev = r.tokens[i === 0 ? r.tokens.length - 1 : i - 1]!;
      for (let s = 0; s < 8; s++) {
        const id = streamOf(r, i, s);
        const token = id.readBigInt64BE(0);
        const inRange = prev < end ? token > prev && token <= end : token > prev || token <= end;
        expect(inRange).toBe(true);
        if (token === end) atEnd++;
        else expect(shardOf(token, 8)).toBe(s);
        expect(Number((id.readBigUInt64BE(8) >> 4n) & 0x3fffffn)).toBe(i);
        expect(id[15]! & 0x0f).toBe(1);
        ids.add(id.toString('hex'));
      }
    }
    expect(ids.size).toBe(Math.ceil(25_600 / 7) * 8);
    // 2^64 / 25,600 vnodes ≈ 1.4 shard runs per range: most shards own nothing in a range.
    expect(atEnd).toBeGreaterThan(0);
  });

  it('derives the same ids every time and routes a token to its vnode and shard', () => {
    expect(streamsOfVnode(r, 123)).toEqual(streamsOfVnode(r, 123));
    const rng = new Prng(9);
    for (let k = 0; k < 500; k++) {
      const token = BigInt.asIntN(64, rng.nextBigU64());
      const i = vnodeOf(r, token);
      const id = streamForToken(r, token);
      expect(id).toEqual(streamOf(r, i, shardOf(token, 8)));
      const end = r.tokens[i]!;
      const prev = r.tokens[i === 0 ? r.tokens.length - 1 : i - 1]!;
      expect(prev < end ? token > prev && token <= end : token > prev || token <= end).toBe(true);
    }
  });

  it('gives another generation (salt) other ids on the same ring', () => {
    expect(streamOf({ ...r, salt: 43n }, 5, 3)).not.toEqual(streamOf(r, 5, 3));
  });
});
