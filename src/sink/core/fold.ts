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

export interface FoldedRow {
  key: (string | null)[];
  op: 'upsert' | 'delete';
  /** Touched cells; for op=delete always empty. */
  cells: Record<string, CellChange>;
  /** Write time of the newest change folded in: the row's new version. */
  tsUs: string;
  /**
   * Set when a delete was folded under this upsert (delete-then-insert): columns the upsert does
   * not touch become NULL, if the stored row is not newer than the delete.
   */
  delTsUs: string | null;
  /** Records folded into this row (dead-lettered together if the row is rejected). */
  refs: RecordRef[];
}

export type Step = { type: 'rows'; rows: FoldedRow[] } | { type: 'barrier'; changes: RowChange[] };

export type FoldOutcome = 'folded' | 'stale' | 'conflict';

const isBarrier = (c: RowChange) => c.kind === 'partition_delete' || c.kind === 'range_delete' || c.kind === 'static_row';

export function keyId(key: (string | null)[]): string {
  return JSON.stringify(key);
}

export function newRow(c: RowChange): FoldedRow {
  return {
    key: c.key,
    op: c.kind === 'delete' ? 'delete' : 'upsert',
    cells: c.kind === 'delete' ? {} : { ...c.cells },
    tsUs: c.tsUs,
    delTsUs: null,
    refs: [c.ref],
  };
}

/**
 * Folds `c` into `acc` (same key, `c` later in Kafka order). Rules, each unit-tested:
 * 1. older write time than the pending row → stale, dropped (the same rule the PG version guard
 *    applies; Scylla keeps the newest write);
 * 2. an upsert at the same write time as a pending delete is shadowed (Scylla: a tombstone wins a
 *    timestamp tie);
 * 3. upsert + upsert → cells merged, the later cell wins;
 * 4. upsert + delete → delete;
 * 5. delete + upsert → upsert that resets untouched columns (delete-then-insert);
 * 6. delete + delete → delete at the newer time;
 * 7. a collection delta over a pending cell of the same column → conflict (next step).
 */
export function foldInto(acc: FoldedRow, c: RowChange): FoldOutcome {
  const cTs = BigInt(c.tsUs);
  const accTs = BigInt(acc.tsUs);
  if (cTs < accTs) return 'stale';
  if (c.kind === 'delete') {
    acc.op = 'delete';
    acc.cells = {};
    acc.delTsUs = null;
    acc.tsUs = c.tsUs;
    acc.refs.push(c.ref);
    return 'folded';
  }
  if (acc.op === 'delete') {
    if (cTs === accTs) return 'stale';
    acc.op = 'upsert';
    acc.delTsUs = acc.tsUs;
    acc.cells = { ...c.cells };
    acc.tsUs = c.tsUs;
    acc.refs.push(c.ref);
    return 'folded';
  }
  for (const [col, cell] of Object.entries(c.cells)) {
    if (cell.m === 'modify' && acc.cells[col] !== undefined) return 'conflict';
  }
  for (const [col, cell] of Object.entries(c.cells)) acc.cells[col] = cell;
  acc.tsUs = c.tsUs;
  acc.refs.push(c.ref);
  return 'folded';
}

export interface FoldResult {
  steps: Step[];
  /** Changes dropped as stale by rule 1/2 (still consumed: their offsets advance). */
  stale: RecordRef[];
}

export function foldChanges(changes: RowChange[]): FoldResult {
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
