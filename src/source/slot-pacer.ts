/**
 * When a slot passes over its tables next (core/window-planner.ts nextPassDelayMs), and the idle
 * wait's two additions: spread over ±25 % (spreadIdleMs), and ended early by a sibling slot that
 * read rows after idling (slot-wake.ts).
 */
import { idlePass, nextPassDelayMs, rowsAfterIdle, spreadIdleMs } from './core/window-planner.js';
import { sleep } from './backoff.js';
import type { SlotWake } from './slot-wake.js';

export interface SlotPacerOptions {
  slot: number;
  /** CDC_POLL_INTERVAL_MS. */
  minMs: number;
  wake: SlotWake;
  now: () => number;
  random?: () => number;
}

export class SlotPacer {
  private delayMs: number;
  private rowsAtMs = 0;
  private readonly maxMs: number;

  constructor(private readonly o: SlotPacerOptions) {
    this.delayMs = o.minMs;
    this.maxMs = Math.max(o.minMs, 500);
  }

  /**
   * After a pass (`worked`: it moved data; `readableMs`: log left readable behind its windows, null
   * when none was read): wakes the idle siblings when rows came back, then waits.
   */
  async afterPass(worked: boolean, readableMs: number | null, signal: AbortSignal): Promise<void> {
    const now = this.o.now();
    const pass = { worked, sinceRowsMs: now - this.rowsAtMs };
    if (rowsAfterIdle(pass)) this.o.wake.rowsAfterIdle(this.o.slot);
    if (worked) this.rowsAtMs = now;
    this.delayMs = nextPassDelayMs({ previousDelayMs: this.delayMs, worked, readableMs, sinceRowsMs: now - this.rowsAtMs, minMs: this.o.minMs, maxMs: this.maxMs });
    if (this.delayMs <= 0) return;
    if (!idlePass(pass)) return sleep(this.delayMs, signal);
    await this.o.wake.idleWait(this.o.slot, spreadIdleMs(this.delayMs, (this.o.random ?? Math.random)()), signal);
  }
}
