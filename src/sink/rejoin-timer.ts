/**
 * After a fence that no rebalance explains (a claim from outside the group, e.g. `offsets import`):
 * the group brings no new assignment by itself, so re-join once a session timeout has passed
 * without one. A rebalance that does arrive makes `stillWaiting` false and the timer does nothing.
 */
import type { Logger } from '../log/logger.js';

export function rejoinIfUnassigned(o: { log: Pick<Logger, 'warn'>; sessionTimeoutMs: number; stillWaiting: () => boolean; restart: () => Promise<void> }): void {
  const timer = setTimeout(() => {
    if (!o.stillWaiting()) return;
    o.log.warn('no new assignment within the session timeout after being fenced; re-joining the group');
    void o.restart();
  }, o.sessionTimeoutMs);
  timer.unref();
}
