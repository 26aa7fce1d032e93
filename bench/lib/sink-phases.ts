/**
 * Where our sink's time goes, from its own Prometheus endpoint: the sums of
 * `cdc_sink_batch_phase_seconds` per phase (decode, fold, copy, encode, apply, commit; docs/sink.md,
 * "Metrics and status"). A fresh process starts at zero, so one scrape before it stops is the run's.
 */
import { metricSum } from './metrics-scrape.js';
import { round } from './util.js';

export interface SinkPhases {
  /** wall seconds per phase, summed over the run's batches (they overlap: lanes, decode workers) */
  seconds: Record<string, number>;
  perHundredKChanges: Record<string, number>;
  /** observations per phase (batches, or COPYs for copy/encode) */
  observations: Record<string, number>;
  changes: number;
  notes: string;
}

const METRIC = 'cdc_sink_batch_phase_seconds';

/** null when the endpoint does not answer (the run still has its other numbers). */
export async function sinkPhases(port: number, changes: number): Promise<SinkPhases | null> {
  try {
    const [sums, counts] = await Promise.all([metricSum(port, `${METRIC}_sum`, 'phase'), metricSum(port, `${METRIC}_count`, 'phase')]);
    const seconds: Record<string, number> = {};
    const perHundredKChanges: Record<string, number> = {};
    for (const [phase, s] of Object.entries(sums)) {
      seconds[phase] = round(s, 3);
      perHundredKChanges[phase] = changes > 0 ? round((s * 100_000) / changes, 3) : 0;
    }
    return {
      seconds,
      perHundredKChanges,
      observations: counts,
      changes,
      notes: 'wall seconds, from process start; decodes and flush lanes overlap, so the sums can exceed the run and are not CPU time; encode is part of copy',
    };
  } catch {
    return null;
  }
}
