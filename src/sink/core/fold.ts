/**
 * Folds one table batch's changes (in Kafka order per partition) into apply steps.
 *
 * - A *rows* step holds at most one FoldedRow per primary key, so one set-based MERGE applies it
 *   (MERGE and ON CONFLICT both refuse to touch a row twice per statement).
 * - A *barrier* step holds partition deletes, range deletes and static-row updates: each acts on many
 *   keys, so rows before it must be applied before it and rows after it after it. Rows never fold
 *   across a barrier.
 * - When a change cannot be folded into the key's pending row (a collection delta on top of a
 *   collection value pending in the same step), it goes to the next rows step: still one statement
 *   per step, order kept.
 */
import type { CellChange, RecordRef, RowChange } from './types.js';

/**
 * One key's pending state in a step, in ScyllaDB's per-cell model (last write wins per cell, by
 * write time): a row tombstone, a row marker (INSERT) and cells, each with its own write time.
 */
export interface FoldedRow {
  key: (string | null)[];
  /** `delete`: nothing but a row tombstone (no cell, no marker); `upsert`: cells and/or a marker. */
  op: 'upsert' | 'delete';
  /** Touched cells; for op=delete always empty. */
  cells: Record<string, CellChange>;
  /** Write time of each touched cell; absent = `tsUs`. */
  cellTs?: Record<string, string>;
  /** Write time of the row marker (INSERT or snapshot row), or null/absent when none was folded. */
  markerTs?: string | null;
  /** TTL expiry (µs) of each folded cell that has one, and of the folded marker; follows the cell it belongs to. */
  cellExp?: Record<string, string>;
  markerExp?: string | null;
  /** Newest write time of anything folded in: the row's new `_cdc_ts_us`. */
  tsUs: string;
  /**
   * Newest row tombstone folded in (only for op=upsert; for op=delete the tombstone is `tsUs`):
   * stored cells and marker not newer than it are removed, and the key is tombstoned at it.
   */
  delTsUs: string | null;
  /** Records folded into this row (dead-lettered together if the row is rejected). */
  refs: RecordRef[];
}

export type Step = { type: 'rows'; rows: FoldedRow[] } | { type: 'barrier'; changes: RowChange[] };

export type FoldOutcome = 'folded' | 'stale' | 'conflict';

const isBarrier = (c: RowChange) => c.kind === 'partition_delete' || c.kind === 'range_delete' || c.kind === 'static_row';

/** Envelope ops that carry a row marker: INSERT (`c`) and snapshot rows (`r`); UPDATE (`u`) does not. */
export const hasMarker = (op: string) => op === 'c' || op === 'r';

const big = (s: string) => BigInt(s);
const maxTs = (a: string, b: string) => (big(a) >= big(b) ? a : b);

export function keyId(key: (string | null)[]): string {
  return JSON.stringify(key);
}

/** Write time of a folded row's cell. */
export function cellTsOf(row: FoldedRow, col: string): string {
  return row.cellTs?.[col] ?? row.tsUs;
}

/**
 * The row of a key's first change in a step. It shares the change's cells object (copied by
 * foldInto before anything is folded into it) and has no per-cell times: every cell is at the row's time,
 * which is what an absent `cellTs` means. Most keys appear once per batch, and these two objects
 * per row lived from the fold until the batch committed (docs/sink.md, "Memory").
 */
export function newRow(c: RowChange): FoldedRow {
  if (c.kind === 'delete') return { key: c.key, op: 'delete', cells: {}, markerTs: null, tsUs: c.tsUs, delTsUs: null, refs: [c.ref] };
  const row: FoldedRow = { key: c.key, op: 'upsert', cells: c.cells, markerTs: hasMarker(c.op) ? c.tsUs : null, tsUs: c.tsUs, delTsUs: null, refs: [c.ref] };
  if (c.expiry) {
    row.cellExp = { ...c.expiry.cells };
    row.markerExp = c.expiry.marker;
  }
  return row;
}

/** The row tombstone time of a folded row (op=delete: its tsUs), or null. */
export function rowTombstone(row: FoldedRow): string | null {
  return row.op === 'delete' ? row.tsUs : row.delTsUs;
}

/**
 * Folds `c` into `acc` (same key, `c` later in Kafka order, but possibly *older* in write time:
 * LWT ballots, replays, snapshot/stream overlap). Per-cell last-write-wins, each rule unit-tested:
 * 1. a change not newer than the pending row tombstone is shadowed (Scylla: a tombstone wins a tie);
 * 2. an upsert sets a cell when its time is >= the pending cell's (equal = later in Kafka order wins:
 *    the next change of the same Scylla batch); an older cell write is dropped for that cell only;
 * 3. an INSERT (or snapshot row) sets the row marker when newer than the pending marker;
 * 4. a delete at T keeps the newer tombstone and removes pending cells and marker with time <= T;
 *    cells newer than T stay (the row stays alive through them, as in Scylla);
 * 5. a delete folded under newer cells resets the stored cells not newer than it (delTsUs);
 * 6. a change with no effect at all (every cell older, no newer marker/tombstone) is stale;
 * 7. a collection delta over a pending cell of the same column not newer than it → conflict (next
 *    step, merged in SQL); over a newer pending cell it is shadowed (collection elements are not
 *    timestamped one by one: the column's time is the guard).
 */
export function foldInto(acc: FoldedRow, c: RowChange): FoldOutcome {
  const cTs = big(c.tsUs);
  const tomb = rowTombstone(acc);
  if (tomb !== null && cTs <= big(tomb)) return 'stale';
  // A row made by newRow shares its first change's cells and has no cell times. Before a second
  // change folds in, it takes its own copy of the cells (the caller's change stays as it was) and
  // gives each cell the row's time, which this change may move.
  if (!acc.cellTs) {
    acc.cells = { ...acc.cells };
    acc.cellTs = {};
    for (const col in acc.cells) acc.cellTs[col] = acc.tsUs;
  }
  const cellTs = acc.cellTs;
  if (c.kind === 'delete') {
    for (const col of Object.keys(acc.cells)) {
      if (big(cellTsOf(acc, col)) <= cTs) {
        delete acc.cells[col];
        delete cellTs[col];
        if (acc.cellExp) delete acc.cellExp[col];
      }
    }
    if (acc.markerTs != null && big(acc.markerTs) <= cTs) {
      acc.markerTs = null;
      acc.markerExp = null;
    }
    acc.tsUs = maxTs(acc.tsUs, c.tsUs);
    acc.refs.push(c.ref);
    if (Object.keys(acc.cells).length === 0 && acc.markerTs == null) {
      acc.op = 'delete';
      acc.tsUs = c.tsUs;
      acc.delTsUs = null;
    } else {
      acc.delTsUs = c.tsUs;
    }
    return 'folded';
  }
  for (const [col, cell] of Object.entries(c.cells)) {
    if (cell.m === 'modify' && acc.cells[col] !== undefined && big(cellTsOf(acc, col)) <= cTs) return 'conflict';
  }
  if (Object.keys(c.cells).length === 0 && !hasMarker(c.op)) return 'stale';
  let effect = false;
  if (acc.op === 'delete') {
    // The pending tombstone becomes the reset of this upsert.
    acc.op = 'upsert';
    acc.delTsUs = acc.tsUs;
    acc.cells = {};
    for (const k of Object.keys(cellTs)) delete cellTs[k];
    acc.markerTs = null;
    acc.cellExp = {};
    acc.markerExp = null;
  }
  for (const [col, cell] of Object.entries(c.cells)) {
    if (acc.cells[col] !== undefined && big(cellTsOf(acc, col)) > cTs) continue;
    acc.cells[col] = cell;
    cellTs[col] = c.tsUs;
    // A cell's expiry is its write's: a later write without TTL makes the cell permanent.
    const exp = c.expiry?.cells[col];
    if (exp !== undefined) (acc.cellExp ??= {})[col] = exp;
    else if (acc.cellExp) delete acc.cellExp[col];
    effect = true;
  }
  if (hasMarker(c.op) && (acc.markerTs == null || big(acc.markerTs) < cTs)) {
    acc.markerTs = c.tsUs;
    acc.markerExp = c.expiry?.marker ?? null;
    effect = true;
  }
  if (!effect) return 'stale';
  acc.tsUs = maxTs(acc.tsUs, c.tsUs);
  acc.refs.push(c.ref);
  return 'folded';
}

export interface FoldResult {
  steps: Step[];
  /** Changes dropped as stale by rule 1/2 (still consumed: their offsets advance). */
  stale: RecordRef[];
}

/** `changes` is iterated once: a batch can be unpacked change by change as it is folded (flusher.ts). */
export function foldChanges(changes: Iterable<RowChange>): FoldResult {
  const steps: Step[] = [];
  const index: (Map<string, FoldedRow> | undefined)[] = [];
  const lastStepOf = new Map<string, number>();
  const stale: RecordRef[] = [];
  let minStep = 0;

  const rowsStep = (i: number): Map<string, FoldedRow> => {
    if (i === steps.length) {
      steps.push({ type: 'rows', rows: [] });
      index.push(new Map());
    }
    return index[i]!;
  };

  for (const c of changes) {
    if (isBarrier(c)) {
      const last = steps[steps.length - 1];
      if (last?.type === 'barrier') last.changes.push(c);
      else {
        steps.push({ type: 'barrier', changes: [c] });
        index.push(undefined);
      }
      minStep = steps.length;
      continue;
    }
    const id = keyId(c.key);
    let i = Math.max(minStep, lastStepOf.get(id) ?? minStep);
    for (;;) {
      const map = rowsStep(i);
      const acc = map.get(id);
      if (!acc) {
        const row = newRow(c);
        map.set(id, row);
        (steps[i] as { rows: FoldedRow[] }).rows.push(row);
        lastStepOf.set(id, i);
        break;
      }
      const outcome = foldInto(acc, c);
      if (outcome === 'stale') stale.push(c.ref);
      if (outcome !== 'conflict') break;
      i++;
    }
  }
  return { steps, stale };
}
