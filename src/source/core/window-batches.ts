/**
 * Turns the log rows of one window into the transactions that carry them, page by page as they
 * arrive: `WindowCursor` groups each stream's rows into changes (holding back a change whose
 * end-of-batch row is still in the next page), applies the resume marks of a window a previous
 * owner was emitting, and says what the checkpoint is once the changes handed out so far have
 * committed: `partial` names, per stream, the last change already out (or DONE for a finished
 * stream), so a restart re-reads the window and skips exactly those (resume-filter.ts).
 *
 * Rows are taken in the server's order. A stream is DONE only once its query has ended; before,
 * its mark is its last change out, which skips the same rows on a restart (a partition's rows come
 * in `cdc$time` order), so nothing assumes how the server orders the partitions of one query.
 *
 * `windowBatches` runs the cursor over a whole window already in memory (units in order).
 */
import type { TableModel } from '../../schema/table-model.js';
import { buildChangeRecords, type EnvelopeContext, type SourceRecord } from './build-envelope.js';
import { DONE, type SlotCheckpoint } from './checkpoint.js';
import type { StreamUnit } from './generation-plan.js';
import type { Change } from './group-change-rows.js';
import { hex, type CdcLogRow } from './log-row.js';
import { createResumeFilter } from './resume-filter.js';

interface StreamState {
  /** Resume filter of a stream the checkpoint marked with its last change out; null: keep all. */
  keep: ((row: CdcLogRow) => boolean) | null;
  /** Rows of the change whose end-of-batch row has not been seen yet. */
  open: CdcLogRow[];
}

export class WindowCursor {
  // Marks live in a Map and are copied into a checkpoint only when a batch is cut: copying the
  // object per stream cost O(streams²) per window, 85 % of the source's CPU at 20,000 streams.
  private readonly marks: Map<string, string>;
  private readonly streams = new Map<string, StreamState>();
  private readonly base: SlotCheckpoint;
  // the driver hands each row its own stream id buffer: hex it once per run of one stream
  private lastId: Uint8Array | null = null;
  private lastHex = '';

  constructor(
    st: SlotCheckpoint,
    fromMs: number,
    private readonly toMs: number,
  ) {
    this.marks = new Map(Object.entries(st.partial));
    this.base = { ...st, atMs: fromMs, toMs, partial: {} };
  }

  /** The complete changes among `rows` (the next rows of one query, in the server's order). */
  changes(rows: readonly CdcLogRow[]): Change[] {
    const out: Change[] = [];
    for (const row of rows) {
      const h = this.hexOf(row.streamId);
      let s = this.streams.get(h);
      if (!s) {
        const mark = this.marks.get(h);
        s = { keep: mark === undefined ? null : mark === DONE ? () => false : createResumeFilter({ lastTime: mark }), open: [] };
        this.streams.set(h, s);
      }
      if (s.keep && !s.keep(row)) continue;
      // A new cdc$time without the previous end-of-batch: the previous record is complete as far
      // as the log can tell (a reader must never merge two records); close it.
      if (s.open.length > 0 && s.open[0]!.time !== row.time) out.push(close(s));
      s.open.push(row);
      if (row.endOfBatch) out.push(close(s));
    }
    return out;
  }

  /** The query of these streams ended: their held-back rows as changes (call `done` once they are out). */
  ended(streams: readonly Uint8Array[]): Change[] {
    const out: Change[] = [];
    for (const id of streams) {
      const s = this.streams.get(hex(id));
      if (s && s.open.length > 0) out.push(close(s));
    }
    return out;
  }

  /** `change` is in the batch being built. */
  emitted(change: Change): void {
    this.marks.set(this.hexOf(change.streamId), change.time);
  }

  /** Every change of these streams is out: DONE for those the window touched or had marked. */
  done(streams: readonly Uint8Array[]): void {
    for (const id of streams) {
      const h = hex(id);
      if (this.streams.has(h) || this.marks.has(h)) this.marks.set(h, DONE);
    }
  }

  /** The checkpoint of a batch cut now: the window stays open, the marks say what is out. */
  cut(): SlotCheckpoint {
    return { ...this.base, partial: Object.fromEntries(this.marks) };
  }

  /** The checkpoint once the whole window is out: the position moves to its end. */
  end(): SlotCheckpoint {
    return { ...this.base, atMs: this.toMs, toMs: null, partial: {} };
  }

  private hexOf(id: Uint8Array): string {
    if (id !== this.lastId) {
      this.lastHex = hex(id);
      this.lastId = id;
    }
    return this.lastHex;
  }
}

function close(s: StreamState): Change {
  const first = s.open[0]!;
  const change: Change = { streamId: first.streamId, time: first.time, timeMicros: first.timeMicros, rows: s.open };
  s.open = [];
  return change;
}

export interface WindowBatch {
  records: SourceRecord[];
  checkpoint: SlotCheckpoint;
}

export interface WindowBatchesInput {
  model: TableModel;
  /** The checkpoint the window is read from (its `partial` marks are honoured). */
  st: SlotCheckpoint;
  fromMs: number;
  toMs: number;
  units: readonly StreamUnit[];
  /** The rows read per unit, in `units` order. */
  unitRows: readonly CdcLogRow[][];
  env: EnvelopeContext;
  maxRecords: number;
  onUnknownOp?: (op: number) => void;
}

/** A whole window in memory, in unit order, cut every `maxRecords`; the return value ends it. */
export function* windowBatches(i: WindowBatchesInput): Generator<WindowBatch, WindowBatch, void> {
  const cursor = new WindowCursor(i.st, i.fromMs, i.toMs);
  let records: SourceRecord[] = [];
  for (let u = 0; u < i.units.length; u++) {
    const streams = i.units[u]!.streams;
    for (const ch of [...cursor.changes(i.unitRows[u]!), ...cursor.ended(streams)]) {
      for (const rec of buildChangeRecords(i.model, ch, i.env, i.onUnknownOp)) records.push(rec);
      cursor.emitted(ch);
      if (records.length >= i.maxRecords) {
        yield { records, checkpoint: cursor.cut() };
        records = [];
      }
    }
    cursor.done(streams);
  }
  return { records, checkpoint: cursor.end() };
}
