// The row state pre-/post-images are built from, kept the way ScyllaDB keeps it while it turns one
// base mutation into log rows (scylladb cdc/log.cc process_row_visitor::update_row_state, the
// merge() helpers, clustered_row_delete / range_delete / partition_delete, generate_image):
// - it starts from the stored rows the mutation touches (the pre-image query);
// - each delta overwrites what it names, whatever its timestamp, so a post-image is the pre-image
//   plus the delta even when an older-timestamped write loses in the base table
//   (docs/features/cdc/cdc-preimages.rst);
// - a row, range or partition delete in the same batch removes the row's state, so no post-image
//   is produced for it (test/cql/cdc_batch_delete_postimage_test);
// - a touched non-frozen UDT always has a value, with null fields where nothing is set.
import type { ColumnDef, TableDef } from '../schema/catalog.js';
import { serializeCollection, serializeTupleLike, splitCollection, splitTupleLike } from '../schema/types.js';
import { ckKey, elemKeyCompare, readLogValue, rowLive } from '../storage/mutation.js';
import { inRange, NO_TS, type Partition, type RangeTomb } from '../storage/table-store.js';

/** Log-form values by column ordinal; a present key with null = known to be null. */
export type CellState = Map<number, Buffer | null>;

export interface ElemChange {
  col: ColumnDef;
  tomb: number;
  live: { k: Buffer; v: Buffer | null }[];
  dead: Buffer[];
}

export class ImageState {
  readonly staticState: CellState = new Map();
  staticTouched = false;
  private readonly rows = new Map<string, { ck: Buffer[]; cells: CellState }>();

  constructor(
    private readonly base: TableDef,
    part: Partition | undefined,
    cks: Buffer[][],
    nowMs: number,
  ) {
    if (part?.srow && rowLive(part.srow, nowMs)) load(this.staticState, base.statics, part.srow.cells, nowMs);
    if (!part) return;
    for (const ck of cks) {
      const row = base.store.findRow(part, ck);
      if (!row || !rowLive(row, nowMs)) continue;
      const cells: CellState = new Map();
      load(cells, base.regulars, row.cells, nowMs);
      this.rows.set(ckKey(ck), { ck, cells });
    }
  }

  row(ck: readonly Buffer[]): CellState | undefined {
    return this.rows.get(ckKey(ck))?.cells;
  }

  /** An upsert creates the row's state if it had none (#7716: even with no regular columns). */
  upsertRow(ck: Buffer[]): CellState {
    const k = ckKey(ck);
    let r = this.rows.get(k);
    if (!r) {
      r = { ck, cells: new Map() };
      this.rows.set(k, r);
    }
    return r.cells;
  }

  deleteRow(ck: readonly Buffer[]): void {
    this.rows.delete(ckKey(ck));
  }

  deleteRange(rt: RangeTomb): void {
    for (const [k, r] of this.rows) if (inRange(this.base.ckCmps, r.ck, rt)) this.rows.delete(k);
  }

  /** A partition delete clears the clustering rows' states (the static state stays, as upstream). */
  deletePartition(): void {
    this.rows.clear();
  }
}

function load(into: CellState, cols: readonly ColumnDef[], cells: Partition['rows'][number]['cells'], nowMs: number): void {
  for (const c of cols) {
    const v = readLogValue(c, cells[c.ordinal], nowMs);
    if (v !== null) into.set(c.ordinal, v);
  }
}

export function applyAtomic(state: CellState, col: ColumnDef, v: Buffer | null): void {
  state.set(col.ordinal, v);
}

/** A non-frozen column's delta merged into the state: a column delete drops the old value first. */
export function applyElems(state: CellState, ch: ElemChange): void {
  const prev = ch.tomb !== NO_TS ? null : (state.get(ch.col.ordinal) ?? null);
  const isUdt = ch.col.type.kind === 'udt';
  const added = isUdt || ch.live.length > 0;
  state.set(ch.col.ordinal, added || (ch.dead.length > 0 && prev !== null) ? merge(ch.col, prev, ch.live, ch.dead) : null);
}

function merge(col: ColumnDef, prev: Buffer | null, live: { k: Buffer; v: Buffer | null }[], dead: Buffer[]): Buffer | null {
  const t = col.type;
  if (t.kind === 'udt') {
    const fields: (Buffer | null)[] = t.fieldNames.map(() => null);
    if (prev)
      splitTupleLike(prev).forEach((f, i) => {
        if (i < fields.length) fields[i] = f;
      });
    for (const e of live) fields[e.k.readInt16BE(0)] = e.v;
    for (const k of dead) fields[k.readInt16BE(0)] = null;
    return serializeTupleLike(fields);
  }
  const cmp = elemKeyCompare(col);
  const isSet = t.kind === 'set';
  const entries: { k: Buffer; v: Buffer | null }[] = [];
  if (prev) {
    const parts = isSet ? splitCollection(prev).map((k) => ({ k, v: null })) : pairs(prev);
    entries.push(...parts);
  }
  const out = entries
    .filter((e) => !live.some((l) => cmp(l.k, e.k) === 0))
    .concat(live)
    .filter((e) => !dead.some((d) => cmp(d, e.k) === 0))
    .sort((a, b) => cmp(a.k, b.k));
  if (out.length === 0) return null;
  return isSet
    ? serializeCollection(
        out.map((e) => e.k),
        out.length,
      )
    : serializeCollection(
        out.flatMap((e) => [e.k, e.v ?? Buffer.alloc(0)]),
        out.length,
      );
}

/** A serialized map (count = pairs) as key/value pairs. */
function pairs(v: Buffer): { k: Buffer; v: Buffer | null }[] {
  const c = Buffer.from(v);
  c.writeInt32BE(v.readInt32BE(0) * 2, 0);
  const parts = splitCollection(c);
  const out: { k: Buffer; v: Buffer | null }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ k: parts[i]!, v: parts[i + 1]! });
  return out;
}
