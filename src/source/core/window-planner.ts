/**
 * Which `[fromMs, toMs)` window of write times to read next, and how long to wait otherwise.
 *
 * - Never read newer than `now − confidence` (rows may become visible late, ScyllaDB docs/features/cdc/cdc-querying-streams.rst).
 * - Never read past the generation's end (the switch is exact at that boundary).
 * - Far behind (cold start, long outage): probe for the first row first and jump over empty
 *   history instead of crawling it window by window (the connector's #17, java #1).
 * - Window size adapts: shrink when a window was heavy (bounded memory and transactions), grow
 *   back towards the configured size when light.
 */

export interface WindowInput {
  atMs: number;
  nowMs: number;
  confidenceMs: number;
  windowMs: number;
  genEndMs: number | null;
}

export type WindowPlan = { kind: 'read'; fromMs: number; toMs: number; probeFirst: boolean } | { kind: 'wait'; readyAtMs: number } | { kind: 'generation-end' };

export function planWindow(i: WindowInput): WindowPlan {
  if (i.genEndMs !== null && i.atMs >= i.genEndMs) return { kind: 'generation-end' };
  const safeUpper = i.nowMs - i.confidenceMs;
  const limit = i.genEndMs === null ? safeUpper : Math.min(safeUpper, i.genEndMs);
  if (limit <= i.atMs) return { kind: 'wait', readyAtMs: i.atMs + i.confidenceMs + 1 };
  const toMs = Math.min(i.atMs + Math.max(1, i.windowMs), limit);
  return { kind: 'read', fromMs: i.atMs, toMs, probeFirst: limit - i.atMs > i.windowMs };
}

/** Where to continue after a probe: the first row's ms (floored), or the probed limit when empty. */
export function jumpAfterProbe(atMs: number, limitMs: number, firstRowMs: number | null): number {
  if (firstRowMs === null) return Math.max(atMs, limitMs);
  return Math.max(atMs, Math.min(limitMs, Math.floor(firstRowMs)));
}

/** The end bound a probe may look up to (same limits as a window, without the size cap). */
export function probeLimit(i: WindowInput): number {
  const safeUpper = i.nowMs - i.confidenceMs;
  return i.genEndMs === null ? safeUpper : Math.min(safeUpper, i.genEndMs);
}

export function adaptWindowMs(currentMs: number, rowsRead: number, targetRows: number, configuredMs: number, minMs = 100): number {
  if (rowsRead > targetRows * 2) return Math.max(minMs, Math.floor(currentMs / 2));
  if (rowsRead < targetRows / 2) return Math.min(configuredMs, currentMs * 2);
  return currentMs;
}

/**
 * Idle delay between polls: short right after data (more is likely), doubling while idle, but
 * capped so an idle reader still delivers within confidence + 1 s of a write.
 */
export function nextPollDelayMs(previousDelayMs: number, hadRows: boolean, minMs: number, maxMs: number): number {
  if (hadRows) return minMs;
  return Math.min(maxMs, Math.max(minMs, previousDelayMs * 2));
}
