/**
 * Is a slot streaming each configured table, and if not, why? Feeds /readyz and `status`: an
 * operator who restarted a source must see "waiting for ..." instead of a silent, idle process.
 */
import type { SlotCheckpoint } from './checkpoint.js';

export type SlotPhase =
  /** fencing the previous owner's producer and reading the slot's checkpoints */
  | { kind: 'opening'; sinceMs: number }
  | { kind: 'running' }
  /** the last step failed; retrying from the last committed checkpoint */
  | { kind: 'retrying'; error: string; sinceMs: number }
  | { kind: 'stopped' }
  /** running, but no step has finished and nothing was committed for a while */
  | { kind: 'stalled'; sinceMs: number };

/** A slot that has not finished a step nor committed for this long is reported as stalled. */
export const STALLED_AFTER_MS = 30_000;

export interface TableReadiness {
  table: string;
  streaming: boolean;
  /** Why not (absent when streaming). */
  reason?: string;
}

export function tableReadiness(phase: SlotPhase, tables: string[], state: ReadonlyMap<string, SlotCheckpoint>, nowMs: number): TableReadiness[] {
  return tables.map((table) => {
    const secs = (since: number) => `${Math.max(0, Math.round((nowMs - since) / 1000))} s`;
    if (phase.kind === 'opening')
      return { table, streaming: false, reason: `opening the slot for ${secs(phase.sinceMs)}: fencing the previous owner's producer, reading the slot's checkpoints` };
    if (phase.kind === 'retrying') return { table, streaming: false, reason: `failing for ${secs(phase.sinceMs)}, retrying from the last committed checkpoint: ${phase.error}` };
    if (phase.kind === 'stopped') return { table, streaming: false, reason: 'slot stopped' };
    if (phase.kind === 'stalled') return { table, streaming: false, reason: `no progress for ${secs(phase.sinceMs)}: a call to Kafka or ScyllaDB has not returned` };
    const st = state.get(table);
    if (!st) return { table, streaming: false, reason: 'no position yet (waiting for the CDC generation)' };
    // an on-demand snapshot (requestId) runs beside the stream: the table still streams
    if (st.snapshot && !st.snapshot.done && st.snapshot.requestId === undefined) {
      return { table, streaming: false, reason: `initial snapshot in progress (range ${st.snapshot.rangePos + 1} of ${st.snapshot.ranges.length})` };
    }
    return { table, streaming: true };
  });
}

/** Checkpoints of the slot whose table is not configured (any more): ignored, and said so. */
export function unconfiguredTables(state: ReadonlyMap<string, SlotCheckpoint>, tables: string[]): string[] {
  const configured = new Set(tables);
  return [...state.keys()].filter((t) => !configured.has(t)).sort();
}

export interface ProcessView {
  started: boolean;
  startupProblem: string | undefined;
  /** Slots the group assigned; undefined until the first assignment. */
  assigned: number[] | undefined;
  sessionTimeoutMs: number;
  workers: ReadonlyMap<number, { readiness(): TableReadiness[] }>;
}

/** Everything that keeps this process from streaming all its slots' tables; empty = ready. */
export function notStreamingReasons(p: ProcessView): string[] {
  if (!p.started) {
    // 'starting' is the service's placeholder before any step failed
    const problem = p.startupProblem === undefined || p.startupProblem === 'starting' ? 'connecting to ScyllaDB, Kafka and the schema registry' : p.startupProblem;
    return [`starting: ${problem}`];
  }
  if (p.assigned === undefined) {
    return [
      `waiting for the slot group to assign slots (a killed process still holds its slots until its session times out, SOURCE_GROUP_SESSION_TIMEOUT_MS=${p.sessionTimeoutMs})`,
    ];
  }
  const out: string[] = [];
  for (const slot of p.assigned) {
    const w = p.workers.get(slot);
    if (!w) {
      out.push(`slot ${slot}: assigned, worker not started yet`);
      continue;
    }
    for (const r of w.readiness()) if (!r.streaming) out.push(`slot ${slot} ${r.table}: ${r.reason}`);
  }
  return out;
}

/** Changes the CDC log expired before a slot read them (slot-worker.ts noteExpired), with what to do. */
export function expiredGapReasons(gaps: readonly { table: string; fromMs: number; toMs: number }[]): string[] {
  return gaps.map(
    (g) =>
      `${g.table}: CDC log rows between ${new Date(g.fromMs).toISOString()} and ${new Date(g.toMs).toISOString()} expired before they were read (cdc ttl); run \`reconcile --table ${g.table} --repair\`, then restart the source`,
  );
}
