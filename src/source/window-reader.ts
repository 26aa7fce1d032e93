import type { TableModel } from '../schema/table-model.js';
import type { StreamUnit } from './core/generation-plan.js';
import { hasDrift, logColumnDrift } from './core/log-columns.js';
import type { CdcLogRow } from './core/log-row.js';
import type { LogReader } from './log-reader.js';
import { scyllaQuery } from './scylla-query.js';

export interface WindowRows {
  /** The rows of each unit, in `units` order (they are emitted in that order). */
  unitRows: CdcLogRow[][];
  /** A page had columns the table model lacks or lacked some it has (ALTER TABLE): re-discover. */
  drift: boolean;
}

/** Reads `[fromMs, toMs)` of every unit, `concurrency` units at a time (one query per unit). */
export async function readWindowRows(reader: LogReader, model: TableModel, units: readonly StreamUnit[], fromMs: number, toMs: number, concurrency: number): Promise<WindowRows> {
  const unitRows: CdcLogRow[][] = new Array(units.length);
  let next = 0;
  let drift = false;
  const readOne = async () => {
    while (next < units.length) {
      const i = next++;
      const rows: CdcLogRow[] = [];
      await scyllaQuery('window', async () => {
        for await (const page of reader.readWindow(model, units[i]!.streams as Buffer[], fromMs, toMs)) {
          if (!drift && hasDrift(logColumnDrift(model, page.columns))) drift = true;
          rows.push(...page.rows);
        }
      });
      unitRows[i] = rows;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, units.length) }, readOne));
  return { unitRows, drift };
}
