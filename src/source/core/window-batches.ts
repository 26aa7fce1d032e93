/**
 * Turns the log rows read for one window into the transactions that carry them: records in unit
 * order, then stream order, then change order, cut every `maxRecords`. Each batch carries the
 * checkpoint that is true once it has committed: `partial` names, per stream, the last change
 * already out (or DONE for a finished stream), so a restart re-reads the window and skips exactly
 * those (resume-filter.ts). The last batch (the generator's return value) moves the position to the
 * window's end; it may be empty.
 */
import type { TableModel } from '../../schema/table-model.js';
import { buildChangeRecords, type EnvelopeContext, type SourceRecord } from './build-envelope.js';
import { DONE, type SlotCheckpoint } from './checkpoint.js';
import type { StreamUnit } from './generation-plan.js';
import { groupChangeRows } from './group-change-rows.js';
import { hex, type CdcLogRow } from './log-row.js';
import { createResumeFilter } from './resume-filter.js';

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

export function* windowBatches(i: WindowBatchesInput): Generator<WindowBatch, WindowBatch, void> {
  let cur: SlotCheckpoint = { ...i.st, atMs: i.fromMs, toMs: i.toMs, partial: { ...i.st.partial } };
  let records: SourceRecord[] = [];
  for (let u = 0; u < i.units.length; u++) {
    const byStream = new Map<string, CdcLogRow[]>();
    for (const r of i.unitRows[u]!) {
      const h = hex(r.streamId);
      let list = byStream.get(h);
      if (!list) byStream.set(h, (list = []));
      list.push(r);
    }
    for (const stream of i.units[u]!.streams) {
      const h = hex(stream);
      const mark = cur.partial[h];
      if (mark === DONE) continue;
      const keep = createResumeFilter(mark ? { lastTime: mark } : undefined);
      const { changes, rest } = groupChangeRows((byStream.get(h) ?? []).filter(keep));
      if (rest.length > 0) changes.push({ streamId: rest[0]!.streamId, time: rest[0]!.time, timeMicros: rest[0]!.timeMicros, rows: rest });
      for (const ch of changes) {
        for (const rec of buildChangeRecords(i.model, ch, i.env, i.onUnknownOp)) records.push(rec);
        if (records.length >= i.maxRecords) {
          cur = { ...cur, partial: { ...cur.partial, [h]: ch.time } };
          yield { records, checkpoint: cur };
          records = [];
        }
      }
      cur = { ...cur, partial: { ...cur.partial, [h]: DONE } };
    }
  }
  return { records, checkpoint: { ...cur, atMs: i.toMs, toMs: null, partial: {} } };
}
