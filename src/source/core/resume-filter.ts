/**
 * Resuming inside a window: the checkpoint names the last change emitted on a stream; re-reading
 * the window must skip everything up to and including it. Rows are ordered by timeuuid, whose
 * timestamp part we can compare; for equal timestamps the server's order is the only order, so
 * rows are skipped until the named change itself has been seen.
 */
import type { CdcLogRow } from './log-row.js';
import { timeuuidToMicros } from './log-row.js';

export interface ResumePoint {
  lastTime: string;
}

export function createResumeFilter(point: ResumePoint | undefined): (row: CdcLogRow) => boolean {
  if (!point) return () => true;
  const lastMicros = timeuuidToMicros(point.lastTime);
  let seen = false;
  return (row) => {
    if (row.timeMicros < lastMicros) return false;
    if (row.timeMicros > lastMicros) return true;
    if (row.time === point.lastTime) {
      seen = true;
      return false;
    }
    return seen;
  };
}
