/**
 * The checkpoint a slot starts a table from when it has none: with a snapshot (SNAPSHOT_MODE
 * initial / initial_only), streaming starts `confidence` before now and the snapshot covers the
 * slot's token ranges of the current generation; without one, streaming starts at CDC_START
 * (`earliest` = the oldest position the CDC log TTL has not expired, `now`, or an ISO time).
 */
import type { SlotCheckpoint } from './checkpoint.js';
import { generationAt, oldestLivePosition, tokenRangesForSlot, type Generation } from './generation-plan.js';

export interface InitialCheckpointInput {
  table: string;
  slot: number;
  slots: number;
  /** Non-empty: a table without a generation has no checkpoint yet. */
  gens: readonly Generation[];
  nowMs: number;
  ttlSeconds: number;
  snapshotMode: 'initial' | 'never' | 'initial_only';
  cdcStart: string;
  confidenceMs: number;
}

export function initialCheckpoint(i: InitialCheckpointInput): SlotCheckpoint {
  const { gens, nowMs: now } = i;
  const base = { v: 1 as const, table: i.table, slot: i.slot, slots: i.slots, toMs: null, partial: {}, writtenAtMs: 0 };
  if (i.snapshotMode !== 'never') {
    const gen = generationAt(gens, now)!;
    const streamFrom = now - i.confidenceMs;
    const ranges = tokenRangesForSlot(gen.units, i.slot, i.slots).map((r) => [r.startExclusive.toString(), r.endInclusive.toString()] as [string, string]);
    return {
      ...base,
      genMs: generationAt(gens, streamFrom)!.startMs,
      atMs: Math.max(streamFrom, gens[0]!.startMs),
      // Stamped where streaming starts, not at now: a write of the last `confidence` may become
      // visible only after the snapshot read its row; the stream then delivers it, and it must win
      // the sink's version guard (a tie goes to the later change), see core/snapshot-request.ts.
      snapshot: { startMs: now, tsMs: streamFrom, ranges, rangePos: 0, afterToken: null, done: ranges.length === 0 },
    };
  }
  let at: number;
  if (i.cdcStart === 'earliest') at = oldestLivePosition(gens, now, i.ttlSeconds) ?? gens[0]!.startMs;
  else if (i.cdcStart === 'now') at = now;
  else at = Date.parse(i.cdcStart);
  const gen = generationAt(gens, at)!;
  return { ...base, genMs: gen.startMs, atMs: Math.max(at, gen.startMs), snapshot: null };
}
