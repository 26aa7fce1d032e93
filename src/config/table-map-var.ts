/** SINK_TABLE_MAP as a config variable (the syntax: sink/core/table-map.ts). */
import { z } from 'zod';
import { emptyTableMap, parseTableMap, tableMapProblems, type TableMap } from '../sink/core/table-map.js';

/** Unset = every table keeps its default target. */
export const tableMap = z.string().transform((raw, ctx): TableMap => {
  const r = parseTableMap(raw);
  if ('map' in r) return r.map;
  for (const p of r.problems) ctx.addIssue({ code: 'custom', message: p });
  return emptyTableMap();
});

/** Targets that need PG_SCHEMA to be known: two exact entries onto one table, names over 63 bytes. */
export function tableMapCheck(cfg: { sinkTableMap?: TableMap | undefined; pgSchema: string }): string[] {
  return cfg.sinkTableMap ? tableMapProblems(cfg.sinkTableMap, cfg.pgSchema).map((p) => `SINK_TABLE_MAP: ${p}`) : [];
}
