/**
 * Groups one stream's log rows (in `(cdc$time, cdc$batch_seq_no)` order) into changes: all rows of
 * one base write record share a `cdc$time`, and the last one has `cdc$end_of_batch = true`
 * (ScyllaDB docs/features/cdc/cdc-basic-operations.rst). A trailing group without its end-of-batch row is returned as `rest` so the
 * caller can complete it with the next page instead of emitting half a change.
 */
import type { CdcLogRow } from './log-row.js';

export interface Change {
  streamId: Uint8Array;
  time: string;
  timeMicros: number;
  rows: CdcLogRow[];
}

export interface Grouped {
  changes: Change[];
  /** Rows of a change whose end-of-batch row was not in the input yet. */
  rest: CdcLogRow[];
}

export function groupChangeRows(rows: readonly CdcLogRow[]): Grouped {
  const changes: Change[] = [];
  let open: CdcLogRow[] = [];
  const close = () => {
    const first = open[0]!;
    changes.push({ streamId: first.streamId, time: first.time, timeMicros: first.timeMicros, rows: open });
    open = [];
  };
  for (const row of rows) {
    // A new cdc$time without the previous end-of-batch: the previous record is complete as far as
    // the log can tell (a reader must never merge two records); close it.
    if (open.length > 0 && open[0]!.time !== row.time) close();
    open.push(row);
    if (row.endOfBatch) close();
  }
  return { changes, rest: open };
}
