/**
 * Generations (vnode keyspaces) and stream sets (tablets keyspaces) as one model: a time-ordered
 * list of stream sets, each operating on write timestamps `[startMs, next.startMs)`. A table's
 * reading position moves through it: read a generation's streams up to the next one's start
 * (never past it: a write timestamped at or after the next start is logged in the next set,
 * ScyllaDB cdc/log.cc begin_timestamp; a copy left in the old stream, as the emulator's pessimistic
 * model of a tablet switch writes, must not be emitted twice), then switch.
 * Generations whose whole interval is older than the log TTL hold no data and are skipped.
 */

export interface StreamUnit {
  /** End token (inclusive) of the base token range whose changes land in these streams. */
  rangeEnd: bigint;
  /** Streams read together by one query (one vnode's shards, or one tablet's stream). */
  streams: Uint8Array[];
}

export interface Generation {
  startMs: number;
  /** Start of the next generation; null while this is the newest one. */
  endMs: number | null;
  /** Sorted by rangeEnd. */
  units: StreamUnit[];
}

export interface GenerationTimes {
  startMs: number;
  endMs: number | null;
}

/** Links sorted start times into intervals. */
export function generationIntervals(startTimesMs: readonly number[]): GenerationTimes[] {
  const sorted = [...new Set(startTimesMs)].sort((a, b) => a - b);
  return sorted.map((startMs, i) => ({ startMs, endMs: sorted[i + 1] ?? null }));
}

/** The generation operating at `ms` (the first one when `ms` precedes all). */
export function generationAt<T extends GenerationTimes>(gens: readonly T[], ms: number): T | undefined {
  let found: T | undefined;
  for (const g of gens) if (g.startMs <= ms) found = g;
  return found ?? gens[0];
}

export function isExpired(g: GenerationTimes, nowMs: number, ttlSeconds: number): boolean {
  return ttlSeconds > 0 && g.endMs !== null && g.endMs <= nowMs - ttlSeconds * 1000;
}

/** Oldest position that may still hold data: log rows older than the TTL are gone. */
export function oldestLivePosition(gens: readonly GenerationTimes[], nowMs: number, ttlSeconds: number): number | undefined {
  const live = gens.filter((g) => !isExpired(g, nowMs, ttlSeconds));
  const first = live[0];
  if (!first) return undefined;
  return ttlSeconds > 0 ? Math.max(first.startMs, nowMs - ttlSeconds * 1000) : first.startMs;
}

export type PositionStep =
  | { kind: 'stay' }
  /** Finished `genMs` (or it expired): continue with the next generation from its start. */
  | { kind: 'switch'; toGenMs: number; atMs: number; reason: 'finished' | 'expired' };

/**
 * Decides whether a table in generation `genMs` at position `atMs` must move to the next
 * generation. Only switches once the old generation is read to its end (atMs ≥ endMs) or expired.
 */
export function nextPositionStep(gens: readonly GenerationTimes[], genMs: number, atMs: number, nowMs: number, ttlSeconds: number): PositionStep {
  const g = gens.find((x) => x.startMs === genMs);
  if (!g) {
    // Our generation vanished from the table (should not happen): continue where the position is.
    const at = generationAt(gens, atMs);
    return at && at.startMs !== genMs ? { kind: 'switch', toGenMs: at.startMs, atMs: Math.max(atMs, at.startMs), reason: 'finished' } : { kind: 'stay' };
  }
  if (g.endMs === null) return { kind: 'stay' };
  if (atMs >= g.endMs) return { kind: 'switch', toGenMs: g.endMs, atMs: g.endMs, reason: 'finished' };
  if (isExpired(g, nowMs, ttlSeconds)) return { kind: 'switch', toGenMs: g.endMs, atMs: g.endMs, reason: 'expired' };
  return { kind: 'stay' };
}

/** Units of a generation that belong to `slot`: unit i (in rangeEnd order) goes to slot i % slots. */
export function unitsForSlot(units: readonly StreamUnit[], slot: number, slots: number): StreamUnit[] {
  return units.filter((_, i) => i % slots === slot);
}

const MIN_TOKEN = -(2n ** 63n);
const MAX_TOKEN = 2n ** 63n - 1n;

/** A base-table token range `(startExclusive, endInclusive]`. */
export interface TokenRange {
  startExclusive: bigint;
  endInclusive: bigint;
}

/**
 * Base-table token ranges owned by `slot` in this generation: each unit covers
 * `(previous unit's rangeEnd, its rangeEnd]`, and the first one also the wrap-around part.
 * A slot snapshots exactly the partitions whose changes its streams carry, so its snapshot and
 * its streaming agree on one start time.
 */
export function tokenRangesForSlot(units: readonly StreamUnit[], slot: number, slots: number): TokenRange[] {
  if (units.length === 0) return slot === 0 ? [{ startExclusive: MIN_TOKEN, endInclusive: MAX_TOKEN }] : [];
  const out: TokenRange[] = [];
  units.forEach((u, i) => {
    if (i % slots !== slot) return;
    if (i === 0) {
      const last = units[units.length - 1]!.rangeEnd;
      if (last < MAX_TOKEN) out.push({ startExclusive: last, endInclusive: MAX_TOKEN });
      out.push({ startExclusive: MIN_TOKEN, endInclusive: u.rangeEnd });
    } else {
      out.push({ startExclusive: units[i - 1]!.rangeEnd, endInclusive: u.rangeEnd });
    }
  });
  return out;
}

/**
 * The part of `[atMs, now)` whose log rows have already expired: ScyllaDB writes every CDC log row
 * with the table's `cdc.ttl` (cdc/log.cc sets the TTL of log mutations from the `ttl` option, 24 h by
 * default; 0 = none), so a position older than `now − ttl` means changes may have been lost before
 * the source read them. Null when nothing expired (or there is no TTL).
 */
export function expiredWindow(atMs: number, nowMs: number, ttlSeconds: number): { fromMs: number; toMs: number } | null {
  if (ttlSeconds <= 0) return null;
  const horizon = nowMs - ttlSeconds * 1000;
  return atMs < horizon ? { fromMs: atMs, toMs: horizon } : null;
}
