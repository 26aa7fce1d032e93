/**
 * On-demand snapshots (`scylla-pg-cdc snapshot --table ks.t`): the request the CLI writes to the
 * source's compacted signals topic (key = table, so the latest request per table is what counts),
 * when a slot takes it, the checkpoint it starts from, and the progress summed over the slots.
 *
 * Why the records are stamped `startMs − confidence window` and not `startMs`: the stream reads the
 * log only up to `now − confidence`, because a write whose timestamp is older than that is assumed
 * to be visible already (the same assumption every CDC window relies on). A write with a timestamp
 * up to `confidence` before `startMs` may therefore still become visible after the snapshot read
 * its row; stamped at `startMs`, the snapshot would then hide it from the sink's version guard
 * (older than the snapshot row) although ScyllaDB keeps it. Stamped at `startMs − confidence`,
 * every write not visible to the snapshot's read carries a newer timestamp than its rows, and the
 * stream (which delivers every change after its own position, at most `confidence` behind now)
 * brings it with that newer timestamp, so it wins. docs/source.md "On-demand snapshot" has the
 * whole argument.
 */
import type { SlotCheckpoint, SnapshotProgress } from './checkpoint.js';
import { generationAt, tokenRangesForSlot, type Generation } from './generation-plan.js';

export interface SnapshotRequest {
  v: 1;
  /** Unique per request: a slot serves each id once, and resumes it after a restart. */
  id: string;
  table: string;
  requestedAtMs: number;
}

export function encodeSnapshotRequest(r: SnapshotRequest): string {
  return JSON.stringify(r);
}

export function decodeSnapshotRequest(raw: string | Buffer | null | undefined): SnapshotRequest | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.length === 0) return undefined;
  const o = JSON.parse(text) as Partial<SnapshotRequest>;
  if (o.v !== 1 || typeof o.id !== 'string' || typeof o.table !== 'string' || typeof o.requestedAtMs !== 'number') {
    throw new Error(`unreadable snapshot request: ${text.slice(0, 200)}`);
  }
  return { v: 1, id: o.id, table: o.table, requestedAtMs: o.requestedAtMs };
}

/**
 * Does the slot still owe `req` a snapshot of this table? Not while its initial snapshot runs (that
 * one goes first and alone); not when it already took this request (done or in progress: a restart
 * resumes it from the checkpoint); not when its initial snapshot started after the request (a table
 * added to SCYLLA_TABLES later: that snapshot already read everything the request asks for).
 */
export function resyncDue(st: SlotCheckpoint, req: SnapshotRequest | undefined): req is SnapshotRequest {
  if (!req || req.table !== st.table) return false;
  const snap = st.snapshot;
  if (!snap) return true;
  if (snap.requestId === req.id) return false;
  if (snap.requestId === undefined && !snap.done) return false;
  if (snap.requestId === undefined && snap.startMs >= req.requestedAtMs) return false;
  return true;
}

export interface ResyncStart {
  st: SlotCheckpoint;
  req: SnapshotRequest;
  gens: readonly Generation[];
  slot: number;
  slots: number;
  nowMs: number;
  confidenceMs: number;
}

/**
 * The checkpoint that starts the slot's share of `req`: the stream position is kept as it is (the
 * stream goes on), the snapshot covers the slot's token ranges of the generation current at the
 * request. The same generation for every slot, whenever each takes the request: shares cut from two
 * generations (a switch between two slots' starts) could leave part of the ring to no slot.
 */
export function startResync(i: ResyncStart): SlotCheckpoint {
  const gen = generationAt(i.gens, i.req.requestedAtMs)!;
  const ranges = tokenRangesForSlot(gen.units, i.slot, i.slots).map((r) => [r.startExclusive.toString(), r.endInclusive.toString()] as [string, string]);
  const snapshot: SnapshotProgress = { startMs: i.nowMs, tsMs: i.nowMs - i.confidenceMs, ranges, rangePos: 0, afterToken: null, done: ranges.length === 0, requestId: i.req.id };
  return { ...i.st, snapshot };
}

/** An on-demand snapshot in progress: it runs beside the stream, not instead of it. */
export function resyncInProgress(st: SlotCheckpoint | undefined): boolean {
  return st?.snapshot?.requestId !== undefined && !st.snapshot.done;
}

export interface SnapshotRequestProgress {
  id: string;
  table: string;
  requestedAt: string;
  /** Slots that took the request (or whose own initial snapshot covers it). */
  slotsStarted: number;
  slotsDone: number;
  slots: number;
  /** Summed over the slots that started (the total is known once every slot started). */
  rangesDone: number;
  ranges: number;
  done: boolean;
}

/** Progress of each request over the slots' checkpoints (`checkpoints`: every slot's, any table). */
export function requestProgress(requests: readonly SnapshotRequest[], checkpoints: readonly SlotCheckpoint[], slots: number): SnapshotRequestProgress[] {
  return requests.map((req) => {
    let slotsStarted = 0;
    let slotsDone = 0;
    let rangesDone = 0;
    let ranges = 0;
    for (const c of checkpoints) {
      const snap = c.snapshot;
      if (c.table !== req.table || !snap) continue;
      const serves = snap.requestId === req.id || (snap.requestId === undefined && snap.startMs >= req.requestedAtMs);
      if (!serves) continue;
      slotsStarted++;
      if (snap.done) slotsDone++;
      ranges += snap.ranges.length;
      rangesDone += snap.done ? snap.ranges.length : snap.rangePos;
    }
    return { id: req.id, table: req.table, requestedAt: new Date(req.requestedAtMs).toISOString(), slotsStarted, slotsDone, slots, rangesDone, ranges, done: slotsDone >= slots };
  });
}
