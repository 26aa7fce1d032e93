/**
 * The per-cell write times of a target row (`_cdc_ts_us`, `_cdc_cts`, docs/sink.md "Version guard
 * and tombstones") as SQL expressions, shared by the apply SQL, the TTL expiry SQL and the purge.
 */
import { CTS_COLUMN, TS_COLUMN, quoteIdent, quoteLiteral } from '../../core/sql-ident.js';

export const MIN_TS = '(-9223372036854775808)::bigint';

export const TS = quoteIdent(TS_COLUMN);
export const CTS = quoteIdent(CTS_COLUMN);

/**
 * Stored write time of a cell (or of the marker) of target row `t`, never NULL: the `_cdc_cts`
 * entry when there is one (JSON null = no live write), else the row's `_cdc_ts_us` (absent = the
 * oldest possible time).
 */
export function storedTs(key: string): string {
  const k = quoteLiteral(key);
  return `CASE WHEN t.${CTS} ? ${k} THEN coalesce((t.${CTS} ->> ${k})::bigint, ${MIN_TS}) ELSE coalesce(t.${TS}, ${MIN_TS}) END`;
}

/** jsonb_build_object over key/value pairs, chunked under the 100-argument limit. */
export function jsonObject(pairs: [string, string][]): string {
  if (pairs.length === 0) return `'{}'::jsonb`;
  const parts: string[] = [];
  for (let i = 0; i < pairs.length; i += 40) {
    parts.push(
      `jsonb_build_object(${pairs
        .slice(i, i + 40)
        .map(([k, v]) => `${quoteLiteral(k)}, ${v}`)
        .join(', ')})`,
    );
  }
  return parts.join(' || ');
}

/**
 * New `_cdc_cts` of a row whose new `_cdc_ts_us` is `rowTs`: one entry per marker/column time
 * (`[key, time or NULL]`, NULL = no live write), minus the entries equal to `rowTs` (implied).
 * `base`: the stored object (entries of columns this schema does not know are kept).
 */
export function newCts(base: string, rowTs: string, entries: [string, string][]): string {
  const omit = entries.map(([k, v]) => `CASE WHEN ${v} = ${rowTs} THEN ${quoteLiteral(k)} END`);
  return `((${base}) || ${jsonObject(entries)}) - array_remove(ARRAY[${omit.join(', ')}]::text[], NULL)`;
}
