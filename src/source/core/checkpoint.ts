/**
 * The source's position, per (slot, table), stored as JSON in the compacted offsets topic and
 * written in the same Kafka transaction as the records it accounts for (docs/source.md, "Exactly once").
 *
 * Streaming: every stream of the slot's units is read up to `atMs` (exclusive) in generation
 * `genMs`. While a window `[atMs, toMs)` is being emitted across several transactions, `partial`
 * names per stream the last change emitted ("*" = the stream is done for this window), so a
 * restart re-reads that window and skips exactly what was already committed.
 *
 * Snapshot: the slot's token ranges (fixed when the snapshot starts), the index of the range in
 * progress and the last token fully emitted in it. An on-demand snapshot (`scylla-pg-cdc snapshot`,
 * core/snapshot-request.ts) uses the same fields plus the request it serves, so a restart resumes it.
 */

export const DONE = '*';

export interface SnapshotProgress {
  startMs: number;
  /** [startExclusive, endInclusive] as decimal strings (bigint tokens). */
  ranges: [string, string][];
  rangePos: number;
  /** Last token whose partition was fully emitted in ranges[rangePos]; null = from the range start. */
  afterToken: string | null;
  done: boolean;
  /** The on-demand request this snapshot serves; absent for the initial snapshot (SNAPSHOT_MODE). */
  requestId?: string;
  /** Write time its records carry (ms), when not `startMs` (core/snapshot-request.ts says why). */
  tsMs?: number;
}

export interface SlotCheckpoint {
  v: 1;
  table: string;
  slot: number;
  slots: number;
  genMs: number;
  atMs: number;
  toMs: number | null;
  partial: Record<string, string>;
  snapshot: SnapshotProgress | null;
  /** Wall time of the write, for status pages. */
  writtenAtMs: number;
}

export function checkpointKey(table: string, slot: number): string {
  return `${table}#${slot}`;
}

export function encodeCheckpoint(c: SlotCheckpoint): string {
  return JSON.stringify(c);
}

export function decodeCheckpoint(raw: string | Buffer | null | undefined): SlotCheckpoint | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.length === 0) return undefined;
  const o = JSON.parse(text) as Partial<SlotCheckpoint>;
  if (o.v !== 1 || typeof o.table !== 'string' || typeof o.slot !== 'number' || typeof o.genMs !== 'number' || typeof o.atMs !== 'number') {
    throw new Error(`unreadable checkpoint: ${text.slice(0, 200)}`);
  }
  return {
    v: 1,
    table: o.table,
    slot: o.slot,
    slots: o.slots ?? 0,
    genMs: o.genMs,
    atMs: o.atMs,
    toMs: o.toMs ?? null,
    partial: o.partial ?? {},
    snapshot: o.snapshot ?? null,
    writtenAtMs: o.writtenAtMs ?? 0,
  };
}

/** Streaming position only: a full window read and emitted. */
export function completeWindow(c: SlotCheckpoint, toMs: number): SlotCheckpoint {
  return { ...c, atMs: toMs, toMs: null, partial: {} };
}
