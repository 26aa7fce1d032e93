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

/** How long after its last rows a slot still counts as streaming (polls every `minMs`, not doubling). */
export const ACTIVE_AFTER_ROWS_MS = 1000;

export interface PassDelayInput {
  /** The wait before the previous pass. */
  previousDelayMs: number;
  /** A step of the pass had rows (or did other work: a generation switch, a snapshot batch). */
  worked: boolean;
  /**
   * Readable log left after the pass: now − confidence − the position its windows reached (the
   * largest over the pass's tables), or null when no table read a window (switch, snapshot).
   */
  readableMs: number | null;
  /** Since the slot last read rows. */
  sinceRowsMs: number;
  minMs: number;
  maxMs: number;
}

/**
 * The wait before a slot's next pass over its tables:
 * - behind (a backlog: a window was capped by its size, or the pass did no window): none;
 * - caught up while changes flow: until `minMs` of log is readable, so windows come every
 *   `minMs`. Reading again at once gave windows of a few ms, often empty between two writes, and
 *   an empty window then cost the idle wait below (500 ms of extra latency for the changes behind it);
 * - idle (no rows for ACTIVE_AFTER_ROWS_MS): doubling from `minMs` up to `maxMs`, so an idle slot
 *   costs few queries and still delivers a change within confidence + `maxMs` + a query.
 */
export function nextPassDelayMs(i: PassDelayInput): number {
  if (i.worked && (i.readableMs === null || i.readableMs >= i.minMs)) return 0;
  if (!idlePass(i)) return Math.max(0, i.minMs - Math.max(0, i.readableMs ?? 0));
  return Math.min(i.maxMs, Math.max(i.minMs, i.previousDelayMs * 2));
}

/** The slot is idle: no rows in this pass nor for ACTIVE_AFTER_ROWS_MS (the doubling wait above). */
export function idlePass(i: Pick<PassDelayInput, 'worked' | 'sinceRowsMs'>): boolean {
  return !i.worked && i.sinceRowsMs >= ACTIVE_AFTER_ROWS_MS;
}

/**
 * A pass that read rows after the slot idled: its tables' writes (re)started, and the other idle
 * slots of the process are woken to read theirs (slot-wake.ts) instead of each waiting out its own
 * idle wait (up to 500 ms, the first second's changes' extra latency).
 */
export function rowsAfterIdle(i: Pick<PassDelayInput, 'worked' | 'sinceRowsMs'>): boolean {
  return i.worked && i.sinceRowsMs >= ACTIVE_AFTER_ROWS_MS;
}

/**
 * An idle wait spread over ±25 % (`r` uniform in [0, 1)), the same on average. Slots started
 * together otherwise poll in step, and then the first of them to see new rows is no sooner than
 * the others: with the phases spread, it comes ~maxMs / slots after the rows become readable.
 */
export function spreadIdleMs(delayMs: number, r: number): number {
  return Math.round(delayMs * (0.75 + r / 2));
}
