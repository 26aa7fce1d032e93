// Vnode-mode CDC generations: cluster-wide stream sets laid out per vnode and shard, published in
// system_distributed (docs/features/cdc/cdc-streams.rst; scylladb cdc/generation.cc, cdc/metadata.cc get_stream).
import { invalid, serverError } from '../errors.js';
import type { Prng } from '../prng.js';
import type { Catalog } from '../schema/catalog.js';
import { putRow } from '../system-tables.js';
import { MAX_TOKEN } from './streams.js';
import { streamForToken, type Ring } from './ring.js';
import { DerivedStore } from '../storage/derived-store.js';
import { descriptionSource } from './description-rows.js';
import { fmtTs as fmt, futureWriteError, GENERATION_LEEWAY_MS } from './leeway.js';

export { GENERATION_LEEWAY_MS };

export interface Generation {
  ts: number;
  ring: Ring;
}

export interface VnodeOptions {
  vnodes: number;
  shards: number;
  firstGenerationDelayMs: number;
}

/** ScyllaDB allows 22 bits of vnode index in a stream id (cdc/generation.cc `stream_id_index_bits`). */
export const MAX_VNODES = 1 << 22;

export class VnodeGenerations {
  readonly generations: Generation[] = [];
  tokens: bigint[] = [];
  private ringTokens: BigInt64Array;
  private shards: number;

  constructor(
    private readonly catalog: Catalog,
    private readonly rng: Prng,
    private readonly opts: VnodeOptions,
  ) {
    if (!Number.isInteger(opts.vnodes) || opts.vnodes < 1 || opts.vnodes >= MAX_VNODES) throw new Error(`vnodes must be an integer in 1..${MAX_VNODES - 1}`);
    if (!Number.isInteger(opts.shards) || opts.shards < 1 || opts.shards > 256) throw new Error('shards must be an integer in 1..256');
    this.shards = opts.shards;
    this.tokens = this.randomTokens(opts.vnodes);
    this.ringTokens = BigInt64Array.from(this.tokens);
    const descr = catalog.findTable('system_distributed', 'cdc_streams_descriptions_v2')!;
    descr.store = new DerivedStore(
      descr.store.ckCompare,
      descriptionSource(descr, () => this.generations),
    );
  }

  private randomTokens(n: number): bigint[] {
    const out = new Set<bigint>();
    while (out.size < n) out.add(BigInt.asIntN(64, this.rng.nextBigU64()));
    return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The first generation, like the first node's bootstrap (Scylla: about now + 2 × ring_delay). */
  start(nowMs: number): Generation {
    return this.createGeneration(nowMs + this.opts.firstGenerationDelayMs);
  }

  /** A node joins: its vnode tokens split existing ranges, and a new generation starts at now + delay. */
  addNode(nowMs: number, delayMs: number, vnodes = this.opts.vnodes): Generation {
    const merged = new Set([...this.tokens, ...this.randomTokens(vnodes)]);
    if (merged.size >= MAX_VNODES) throw serverError(`a ring of ${merged.size} vnodes does not fit the stream id's 22-bit vnode index`);
    this.tokens = [...merged].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.ringTokens = BigInt64Array.from(this.tokens);
    return this.createGeneration(nowMs + delayMs);
  }

  private createGeneration(ts: number): Generation {
    const last = this.generations[this.generations.length - 1];
    if (last && ts <= last.ts) ts = last.ts + 1;
    // Streams are derived from the ring when asked for (ring.ts); only the tokens and a salt are kept.
    const gen: Generation = { ts, ring: { tokens: this.ringTokens, shards: this.shards, salt: this.rng.nextBigU64() } };
    this.generations.push(gen);
    // The description is readable (derived) before the timestamp is published, as Scylla writes the
    // streams first, so a reader that sees the timestamp always finds the complete stream set.
    this.catalog.findTable('system_distributed', 'cdc_streams_descriptions_v2')!.store.clear();
    putRow(this.catalog.findTable('system_distributed', 'cdc_generation_timestamps')!, { key: 'timestamps', time: ts, expired: null });
    putRow(this.catalog.findTable('system', 'cdc_local')!, { key: 'cdc_local', streams_timestamp: ts, uuid: null });
    return gen;
  }

  /** cdc::metadata::get_stream, including its leeway checks and messages. */
  streamFor(token: bigint, tsMicros: number, nowMs: number): Buffer {
    const ts = tsMicros / 1000;
    if (ts > nowMs + GENERATION_LEEWAY_MS) {
      throw invalid(futureWriteError(ts, nowMs));
    }
    const gens = this.generations;
    const usedAt = (t: number): number => {
      let idx = -1;
      for (let i = 0; i < gens.length; i++) if (gens[i]!.ts <= t) idx = i;
      return idx;
    };
    let first = 0;
    const cur = usedAt(nowMs - GENERATION_LEEWAY_MS);
    if (cur >= 0) first = cur;
    if (ts <= nowMs - GENERATION_LEEWAY_MS) {
      const isPrevGen = cur >= 0 && cur + 1 < gens.length && gens[cur + 1]!.ts <= nowMs;
      if (cur < 0 || ts < gens[cur]!.ts || isPrevGen) {
        throw invalid(
          `cdc: attempted to get a stream "from the past" (${fmt(ts)}; current server time: ${fmt(nowMs)}).` +
            ` With CDC you cannot send writes with timestamps too far into the past, because that would break consistency properties.\n` +
            `We *do* allow sending writes into the near past, but our ability to do that is limited.` +
            ` Are you using client-side timestamps? Make sure your clocks are well-synchronized with the database's clocks.`,
        );
      }
    }
    if (gens.length === 0 || ts < gens[first]!.ts) {
      throw serverError(`cdc::metadata::get_stream: could not find any CDC stream for timestamp ${fmt(ts)}. Are we in the middle of a cluster upgrade?`);
    }
    let g = first;
    while (g + 1 < gens.length && gens[g + 1]!.ts <= ts) g++;
    return streamInGeneration(gens[g]!, token);
  }
}

export function streamInGeneration(gen: Generation, token: bigint): Buffer {
  return streamForToken(gen.ring, token);
}

export { MAX_TOKEN };
