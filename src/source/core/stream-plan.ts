/**
 * What a slot's streaming step does next for one table, decided from its checkpoint, the
 * generation list and the clock (no I/O): switch generation, resume a window a previous owner was
 * emitting, wait, follow time (no stream of the generation is ours), probe for the first row, or
 * read a window. The probe itself is I/O; `planAfterProbe` decides what its answer means.
 */
import type { SlotCheckpoint } from './checkpoint.js';
import type { Generation, StreamUnit } from './generation-plan.js';
import { nextPositionStep, unitsForSlot } from './generation-plan.js';
import { jumpAfterProbe, planWindow, probeLimit, type WindowInput } from './window-planner.js';

export interface StreamPlanInput {
  st: SlotCheckpoint;
  gens: readonly Generation[];
  nowMs: number;
  ttlSeconds: number;
  slot: number;
  slots: number;
  confidenceMs: number;
  /** The table's current (adapted) window size. */
  windowMs: number;
}

export type StreamPlan =
  /** The position reached the next generation (or outlived the log): move there, no records. */
  | { kind: 'switch'; next: SlotCheckpoint; toGenMs: number; reason: string }
  /** The checkpoint's generation is not in the list (yet): nothing to do. */
  | { kind: 'unknown-generation' }
  /** No window is ready (inside the confidence window, or at the generation's end). */
  | { kind: 'wait' }
  /** This slot owns no unit of the generation (more slots than units): follow time to `atMs`. */
  | { kind: 'follow'; atMs: number }
  /** Far behind: probe `units` for their first row before `limitMs`, then `planAfterProbe`. */
  | { kind: 'probe'; units: StreamUnit[]; limitMs: number; input: WindowInput }
  /** Read `[fromMs, toMs)` of `units`. */
  | { kind: 'read'; units: StreamUnit[]; fromMs: number; toMs: number };

export function planStream(i: StreamPlanInput): StreamPlan {
  const { st } = i;
  const move = nextPositionStep(i.gens, st.genMs, st.atMs, i.nowMs, i.ttlSeconds);
  if (move.kind === 'switch' && st.toMs === null) {
    // Start the new generation at its own start even if the old streams were read past it (a
    // stream set we learnt about late): the new streams have not been read yet.
    const next: SlotCheckpoint = { ...st, genMs: move.toGenMs, atMs: move.atMs, toMs: null, partial: {} };
    return { kind: 'switch', next, toGenMs: move.toGenMs, reason: move.reason };
  }
  const gen = i.gens.find((g) => g.startMs === st.genMs);
  if (!gen) return { kind: 'unknown-generation' };
  const units = unitsForSlot(gen.units, i.slot, i.slots);
  // resume the window a previous owner was emitting
  if (st.toMs !== null) return { kind: 'read', units, fromMs: st.atMs, toMs: st.toMs };
  const input: WindowInput = { atMs: st.atMs, nowMs: i.nowMs, confidenceMs: i.confidenceMs, windowMs: i.windowMs, genEndMs: gen.endMs };
  const plan = planWindow(input);
  if (plan.kind !== 'read') return { kind: 'wait' };
  if (units.length === 0) return { kind: 'follow', atMs: probeLimit(input) };
  if (plan.probeFirst) return { kind: 'probe', units, limitMs: probeLimit(input), input };
  return { kind: 'read', units, fromMs: plan.fromMs, toMs: plan.toMs };
}

export type ProbedPlan = { kind: 'wait' } | { kind: 'read'; fromMs: number; toMs: number };

/**
 * After a probe (`firstRowMs`: each unit's first row time, null for an empty unit): `jumpedTo` is
 * the new position when the history before the first row was empty, and the window to read from
 * there (or from the old position when nothing was skipped).
 */
export function planAfterProbe(input: WindowInput, limitMs: number, firstRowMs: readonly (number | null)[]): { jumpedTo: number | null; plan: ProbedPlan } {
  const found = firstRowMs.filter((x): x is number => x !== null);
  const jump = jumpAfterProbe(input.atMs, limitMs, found.length > 0 ? Math.min(...found) : null);
  const jumped = jump > input.atMs;
  const plan = planWindow(jumped ? { ...input, atMs: jump } : input);
  return { jumpedTo: jumped ? jump : null, plan: plan.kind === 'read' ? { kind: 'read', fromMs: plan.fromMs, toMs: plan.toMs } : { kind: 'wait' } };
}
