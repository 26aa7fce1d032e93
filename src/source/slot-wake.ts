/**
 * Wakes a process's idle slots when one of them reads rows after idling. Each idle slot polls every
 * 500 ms at most (core/window-planner.ts); when a table's writes start, the changes of every slot
 * would otherwise wait for that slot's own next poll. The first slot to read them wakes the others,
 * so they wait for the soonest poll among the slots (their idle waits are spread: spreadIdleMs).
 *
 * Cost: none while idle or while changes flow; one extra pass per idle slot when a slot's rows
 * start again after a second without any (rowsAfterIdle), and a woken slot that finds nothing goes
 * back to its idle wait.
 */
export class SlotWake {
  private readonly waiting = new Set<{ slot: number; wake: () => void }>();

  /** Slot `from` read rows after idling: every other slot in an idle wait polls now. */
  rowsAfterIdle(from: number): void {
    for (const w of [...this.waiting]) if (w.slot !== from) w.wake();
  }

  /** Slots in an idle wait now. */
  get idleSlots(): number {
    return this.waiting.size;
  }

  /** Waits `ms`, less when rowsAfterIdle wakes it (resolves true) or `signal` aborts (false). */
  idleWait(slot: number, ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', ended);
        this.waiting.delete(entry);
        resolve(woken);
      };
      const ended = () => done(false);
      const entry = { slot, wake: () => done(true) };
      const timer = setTimeout(ended, Math.max(0, ms));
      signal.addEventListener('abort', ended, { once: true });
      this.waiting.add(entry);
    });
  }
}
