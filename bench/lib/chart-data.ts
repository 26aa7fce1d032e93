/**
 * Which bench results the chart shows, and how (pure: no I/O; bench/chart.ts reads the files).
 *
 * The bench writes one JSON object per scenario, and the scenarios of one command share
 * `settings.runId`. Rates are only comparable inside one run (the ceiling moves by ±15 % between
 * runs on a shared machine), so every group of bars comes from a single run:
 *
 * - sink panel, per workload: among the runs holding a `sink` result, the one with the most of
 *   sink / connect-sink / ceiling / copy-limit, then the most rows, then the newest;
 * - source panel, per workload: among the runs holding a `source` result, the one with the most of
 *   source / produce-limit, then the most rows, then the newest.
 *
 * Any other scenario (e2e, topology, recovery) and any JSON that is not a bench result is ignored.
 */
import { WORKLOADS } from '../workloads/index.js';

/** The fields of a bench result (bench/run.ts BenchResult) the chart reads. */
export interface ChartInput {
  scenario: string;
  workload: string;
  rows: number;
  completed: boolean;
  reason: string;
  rowsPerSec: number | null;
  peakRssMb: Record<string, number>;
  date: string;
  settings: { runId?: string };
  contentsMatch?: boolean;
  details?: { rowsDifferingFromExpected?: number };
}

export interface ChartBar {
  scenario: string;
  label: string;
  /** rows/s; null when the run did not complete (no bar, the note says why) */
  value: number | null;
  /** peak RSS (the "peak RSS" column) and what went wrong */
  note: string;
  /** completed, but the target differs from the expected final state */
  wrong: boolean;
}

export interface ChartGroup {
  workload: string;
  rows: number;
  runId: string;
  date: string;
  bars: ChartBar[];
}

export interface ChartPanel {
  title: string;
  subtitle: string;
  groups: ChartGroup[];
}

interface Series {
  scenario: string;
  label: string;
  /** peakRssMb key of the process the bar is about; none for the references (they run in the harness) */
  rssKey?: string;
  rssLabel?: string;
}

const SINK_SERIES: Series[] = [
  { scenario: 'sink', label: 'scylla-pg-cdc sink', rssKey: 'sink', rssLabel: 'sink' },
  { scenario: 'connect-sink', label: 'Kafka Connect (Debezium JDBC)', rssKey: 'connect-jvm', rssLabel: 'JVM' },
  { scenario: 'ceiling', label: 'ceiling: COPY + upsert, no Kafka' },
  { scenario: 'copy-limit', label: 'copy-limit: COPY of the final rows' },
];

const SOURCE_SERIES: Series[] = [
  { scenario: 'source', label: 'scylla-pg-cdc source', rssKey: 'source', rssLabel: 'source' },
  { scenario: 'produce-limit', label: 'produce-limit: Node → Kafka only' },
];

/** "12,345": grouping by hand, so the output does not depend on the ICU data Node was built with. */
export function thousands(n: number): string {
  const s = String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

/** True for objects shaped like a bench result (other JSON in bench/results is skipped). */
export function isChartInput(x: unknown): x is ChartInput {
  const r = x as Partial<ChartInput> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.scenario === 'string' &&
    typeof r.workload === 'string' &&
    typeof r.rows === 'number' &&
    typeof r.completed === 'boolean' &&
    typeof r.date === 'string' &&
    (r.rowsPerSec === null || typeof r.rowsPerSec === 'number')
  );
}

function bar(s: Series, r: ChartInput | undefined): ChartBar | null {
  if (!r) return null;
  const rss = s.rssKey !== undefined ? r.peakRssMb?.[s.rssKey] : undefined;
  const rssNote = rss !== undefined ? `${s.rssLabel} ${thousands(rss)} MiB` : '';
  if (!r.completed || r.rowsPerSec === null) {
    return { scenario: s.scenario, label: s.label, value: null, note: `did not complete: ${r.reason}`, wrong: false };
  }
  const wrong = r.contentsMatch === false;
  const diff = r.details?.rowsDifferingFromExpected;
  const wrongNote = wrong ? `WRONG: ${diff === undefined ? 'contents differ' : `${thousands(diff)} rows differ`}` : '';
  return { scenario: s.scenario, label: s.label, value: r.rowsPerSec, note: [wrongNote, rssNote].filter((x) => x !== '').join(' · '), wrong };
}

function workloadOrder(a: string, b: string): number {
  const known = Object.keys(WORKLOADS);
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  if (ia !== ib) return (ia < 0 ? known.length : ia) - (ib < 0 ? known.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function groups(results: ChartInput[], series: Series[]): ChartGroup[] {
  const anchor = series[0]!.scenario;
  const wanted = new Set(series.map((s) => s.scenario));
  // runId → scenario → result (a later file of the same run and scenario replaces an earlier one)
  const runs = new Map<string, Map<string, ChartInput>>();
  for (const r of results) {
    if (!wanted.has(r.scenario)) continue;
    const id = r.settings?.runId ?? `${r.workload}@${r.date}`;
    const run = runs.get(id) ?? new Map<string, ChartInput>();
    run.set(r.scenario, r);
    runs.set(id, run);
  }
  const best = new Map<string, { id: string; run: Map<string, ChartInput>; rows: number; date: string }>();
  for (const [id, run] of runs) {
    const a = run.get(anchor);
    if (!a) continue;
    const date = [...run.values()].map((r) => r.date).sort()[run.size - 1]!;
    const cur = best.get(a.workload);
    const better = !cur || run.size > cur.run.size || (run.size === cur.run.size && (a.rows > cur.rows || (a.rows === cur.rows && date > cur.date)));
    if (better) best.set(a.workload, { id, run, rows: a.rows, date });
  }
  return [...best.entries()]
    .sort(([a], [b]) => workloadOrder(a, b))
    .map(([workload, b]) => ({
      workload,
      rows: b.rows,
      runId: b.id,
      date: b.date,
      bars: series.map((s) => bar(s, b.run.get(s.scenario))).filter((x): x is ChartBar => x !== null),
    }));
}

/** The chart's panels from every result found; a panel without a group is left out. */
export function chartPanels(results: ChartInput[]): ChartPanel[] {
  const panels: ChartPanel[] = [
    {
      title: 'Sink: Kafka → PostgreSQL, backlog drain (rows/s, longer is faster)',
      subtitle: 'ours and Kafka Connect against two references measured in the same run: the ceiling (COPY + upsert without Kafka) and the copy-limit',
      groups: groups(results, SINK_SERIES),
    },
    {
      title: 'Source: ScyllaDB → Kafka (changes/s)',
      subtitle: 'ours against the produce-limit: the same Avro records produced from Node by 16 transactional producers, without reading ScyllaDB',
      groups: groups(results, SOURCE_SERIES),
    },
  ];
  return panels.filter((p) => p.groups.length > 0);
}
