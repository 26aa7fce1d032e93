/**
 * TTL expiry of cells and row markers (ScyllaDB docs/cql/time-to-live.rst). ScyllaDB writes nothing
 * to the CDC log when a cell or row expires (docs/features/cdc/cdc-basic-operations.rst: "TTL
 * expirations are not operations"), so the sink keeps, per cell and per row marker, when it expires
 * (`_cdc_cexp`) and purges on a schedule what ScyllaDB no longer returns.
 *
 * Expiry = the change's write time + its TTL. ScyllaDB computes it from the coordinator's clock at
 * the write (the docs: a `USING TIMESTAMP` value is not taken into account); the log gives us the
 * write's timestamp (`cdc$time`), which is that clock unless the client chose the timestamp.
 *
 * Which parts of a change a TTL covers (docs/features/cdc/cdc-log-table.rst, "Time-to-live column"):
 * live cells only (a cell set to null has no TTL); an INSERT's row marker too, an UPDATE has none.
 * A record normally carries one TTL (`source.ttl`); when the log rows of one key disagreed (a
 * batch of statements with different TTLs on one row), the source adds `source.cell_ttls`, the TTL
 * of each written cell by field name and of the marker under MARKER_TTL_FIELD; a cell missing from
 * it has none.
 */
import { MARKER_KEY } from '../../core/sql-ident.js';
import type { FoldedRow } from './fold.js';
import type { CellChange, ChangeExpiry } from './types.js';

/** Key of the row marker in `source.cell_ttls`: `$` cannot occur in an Avro field name. */
export const MARKER_TTL_FIELD = '$marker';

/** Expiry in µs of a write at `tsUs` with `ttlSeconds` (null/0/negative = never: CQL's TTL 0 removes a TTL). */
export function expiryUs(tsUs: string, ttlSeconds: unknown): string | null {
  const ttl = typeof ttlSeconds === 'bigint' ? ttlSeconds : typeof ttlSeconds === 'number' && Number.isInteger(ttlSeconds) ? BigInt(ttlSeconds) : null;
  if (ttl === null || ttl <= 0n) return null;
  return (BigInt(tsUs) + ttl * 1_000_000n).toString();
}

/** Whether a written cell is live, so its TTL counts: a value, or a collection delta (elements added). */
export function isLiveCell(cell: CellChange): boolean {
  return cell.m === 'set' ? cell.value !== null : cell.add !== null;
}

/**
 * The expiries of one change. `columns` maps PG column name → Avro field name; `cellTtls` is
 * `source.cell_ttls` (or null), `ttl` is `source.ttl`.
 */
export function changeExpiry(
  tsUs: string,
  ttl: unknown,
  cellTtls: Record<string, unknown> | null | undefined,
  cells: Record<string, CellChange>,
  fieldOf: (column: string) => string,
  hasMarker: boolean,
): ChangeExpiry {
  // Most changes have no TTL at all: nothing to look at cell by cell.
  if (!cellTtls && expiryUs(tsUs, ttl) === null) return { cells: {}, marker: null };
  const ttlOf = (field: string) => (cellTtls ? cellTtls[field] : ttl);
  const out: ChangeExpiry = { cells: {}, marker: hasMarker ? expiryUs(tsUs, ttlOf(MARKER_TTL_FIELD)) : null };
  for (const [col, cell] of Object.entries(cells)) {
    if (!isLiveCell(cell)) continue;
    const e = expiryUs(tsUs, ttlOf(fieldOf(col)));
    if (e !== null) out.cells[col] = e;
  }
  return out;
}

/** `_ex` and `_exmin` of a folded row: JSON of its cell and marker expiries and the earliest, NULL when nothing expires. */
export function stagedExpiry(row: FoldedRow): [string | null, string | null] {
  const e: Record<string, number> = {};
  let min: bigint | null = null;
  const add = (k: string, us: string) => {
    e[k] = Number(us);
    if (min === null || BigInt(us) < min) min = BigInt(us);
  };
  for (const [col, us] of Object.entries(row.cellExp ?? {})) if (row.cells[col]) add(col, us);
  if (row.markerExp != null && row.markerTs != null) add(MARKER_KEY, row.markerExp);
  return min === null ? [null, null] : [JSON.stringify(e), String(min)];
}
