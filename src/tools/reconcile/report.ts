/**
 * The reconcile report: the shape of the old pipeline's reconcile.py (`discrepancies.missing_in_target`,
 * `extra_in_target`, `mismatches`), plus exact counts and accuracy. Accuracy = rows equal on both
 * sides ÷ rows on either side (the union), so a missing and an extra row both lower it.
 */
export interface ReconcileReport {
  table: string;
  mode: 'dry-run' | 'repair';
  started_at: string;
  finished_at: string;
  counts: { source_rows: number; target_rows: number; matching_rows: number; missing_in_target: number; extra_in_target: number; mismatches: number };
  accuracy_percentage: number;
  /** Rows of partitions that hold only static columns (no clustering row): not replicated as rows. */
  static_only_partitions_skipped: number;
  discrepancies: {
    missing_in_target: unknown[];
    extra_in_target: unknown[];
    mismatches: { key: unknown; columns: string[]; source: unknown; target: unknown }[];
  };
  /** True when a list above holds fewer entries than its count (see --max-listed). */
  truncated: boolean;
  repaired: { upserted: number; deleted: number; versionUs: string } | null;
}

export interface ReportInput {
  table: string;
  mode: 'dry-run' | 'repair';
  startedAt: Date;
  counts: { source: number; target: number; missing: number; extra: number; mismatched: number };
  staticOnlySkipped: number;
  missing: unknown[];
  extra: unknown[];
  mismatches: ReconcileReport['discrepancies']['mismatches'];
  maxListed: number;
  repaired: ReconcileReport['repaired'];
}

export function accuracy(c: ReportInput['counts']): number {
  const matching = c.source - c.missing - c.mismatched;
  const union = c.source + c.extra;
  return union === 0 ? 100 : (matching / union) * 100;
}

export function buildReport(i: ReportInput): ReconcileReport {
  const c = i.counts;
  return {
    table: i.table,
    mode: i.mode,
    started_at: i.startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    counts: {
      source_rows: c.source,
      target_rows: c.target,
      matching_rows: c.source - c.missing - c.mismatched,
      missing_in_target: c.missing,
      extra_in_target: c.extra,
      mismatches: c.mismatched,
    },
    accuracy_percentage: accuracy(c),
    static_only_partitions_skipped: i.staticOnlySkipped,
    discrepancies: { missing_in_target: i.missing, extra_in_target: i.extra, mismatches: i.mismatches },
    truncated: i.missing.length < c.missing || i.extra.length < c.extra || i.mismatches.length < c.mismatched,
    repaired: i.repaired,
  };
}
