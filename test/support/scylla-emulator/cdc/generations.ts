// Vnode-mode CDC generations: cluster-wide stream sets laid out per vnode and shard, published in
// system_distributed (docs/features/cdc/cdc-streams.rst; scylladb cdc/generation.cc, cdc/metadata.cc get_stream).
import { invalid, serverError } from '../errors.js';
import type { Prng } from '../prng.js';
import type { Catalog } from '../schema/catalog.js';
import { putRow } from '../system-tables.js';
import { MAX_TOKEN, makeStreamId, randomTokenIn, shardOf, tokenForShard } from './streams.js';
import { fmtTs as fmt, futureWriteError, GENERATION_LEEWAY_MS } from './leeway.js';

export { GENERATION_LEEWAY_MS };


export interface GenerationEntry {
  rangeEnd: bigint;
  streams: Buffer[];
}

export interface Generation {
  ts: number;
  entries: GenerationEntry[];
}

export interface VnodeOptions {
  vnodes: number;
  shards: number;
  firstGenerationDelayMs: number;
}

export class VnodeGenerations {
  readonly generations: Generation[] = [];
  tokens: bigint[] = [];
  private shards: number;

  constructor(private readonly catalog: Catalog, private readonly rng: Prng, private readonly opts: VnodeOptions) {
    this.shards = opts.shards;
    this.tokens = this.randomTokens(opts.vnodes);
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
    this.tokens = [...merged].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.createGeneration(nowMs + delayMs);
  }

  private createGeneration(ts: number): Generation {
    const last = this.generations[this.generations.length - 1];
    if (last && ts <= last.ts) ts = last.ts + 1;
    const entries: GenerationEntry[] = this.tokens.map((end, i) => {
      const prev = i === 0 ? this.tokens[this.tokens.length - 1]! : this.tokens[i - 1]!;
      const streams: Buffer[] = [];
      for (let s = 0; s < this.shards; s++) {
        const token = this.tokens.length === 1 ? randomTokenIn(end, end, this.rng) : tokenForShard(prev, end, s, this.shards, this.rng);
        streams.push(makeStreamId(token, i, this.rng));
      }
      return { rangeEnd: end, streams };
    });
    const gen = { ts, entries };
    this.generations.push(gen);
    // Streams are published before the timestamp, as Scylla does, so a reader that sees the
    // timestamp always finds the complete stream set.
    const descr = this.catalog.findTable('system_distributed', 'cdc_streams_descriptions_v2')!;
    for (const e of entries) {
      putRow(descr, { time: ts, range_end: e.rangeEnd, streams: [...e.streams].sort(Buffer.compare) });
    }
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
        throw invalid(`cdc: attempted to get a stream "from the past" (${fmt(ts)}; current server time: ${fmt(nowMs)}).`
          + ` With CDC you cannot send writes with timestamps too far into the past, because that would break consistency properties.\n`
          + `We *do* allow sending writes into the near past, but our ability to do that is limited.`
          + ` Are you using client-side timestamps? Make sure your clocks are well-synchronized with the database's clocks.`);
      }
    }
    if (gens.length === 0 || ts < gens[first]!.ts) {
      throw serverError(`cdc::metadata::get_stream: could not find any CDC stream for timestamp ${fmt(ts)}. Are we in the middle of a cluster upgrade?`);
    }
    let g = first;
    while (g + 1 < gens.length && gens[g + 1]!.ts <= ts) g++;
    return streamInGeneration(gens[g]!, token, this.shards);
  }
}

export function streamInGeneration(gen: Generation, token: bigint, shards: number): Buffer {
  const entries = gen.entries;
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.rangeEnd < token) lo = mid + 1; else hi = mid;
  }
  const e = entries[lo === entries.length ? 0 : lo]!;
  return e.streams[shardOf(token, e.streams.length === shards ? shards : e.streams.length)]!;
}

export { MAX_TOKEN };
