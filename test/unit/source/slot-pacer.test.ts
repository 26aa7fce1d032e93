/**
 * Slot pacing (slot-pacer.ts, slot-wake.ts): an idle slot's wait ends when a sibling slot of the
 * process reads rows after idling, so the first changes of a table whose writes start do not each
 * wait out their own slot's idle poll. Clocks are injected; the waits are minutes long and are only
 * ever ended by a wake or an abort, never by time passing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SlotPacer } from '../../../src/source/slot-pacer.js';
import { SlotWake } from '../../../src/source/slot-wake.js';

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const MIN_MS = 60_000; // idle waits of 45–75 s: no wait in this file ends by itself
const aborts: AbortController[] = [];
afterEach(() => aborts.splice(0).forEach((a) => a.abort()));

function slot(slotNo: number, wake: SlotWake, clock: { ms: number }) {
  const abort = new AbortController();
  aborts.push(abort);
  const pacer = new SlotPacer({ slot: slotNo, minMs: MIN_MS, wake, now: () => clock.ms, random: () => 0.5 });
  let done = false;
  return {
    pass(worked: boolean) {
      done = false;
      void pacer.afterPass(worked, worked ? 0 : null, abort.signal).then(() => (done = true));
    },
    get waiting() {
      return !done;
    },
  };
}

describe('SlotPacer', () => {
  it('ends the idle waits of the other slots when one reads rows after idling', async () => {
    const wake = new SlotWake();
    const clock = { ms: 10_000 }; // no rows since the start: every slot is idle
    const a = slot(0, wake, clock);
    const b = slot(1, wake, clock);
    const c = slot(2, wake, clock);
    b.pass(false);
    c.pass(false);
    await turns();
    expect([b.waiting, c.waiting, wake.idleSlots]).toEqual([true, true, 2]);
    a.pass(true); // slot 0's table got its first writes
    await turns();
    expect([b.waiting, c.waiting, wake.idleSlots]).toEqual([false, false, 0]);
  });

  it('wakes nobody for rows while the slot is streaming, only on its first rows after a second without', async () => {
    const wake = new SlotWake();
    const clock = { ms: 10_000 };
    const a = slot(0, wake, clock);
    const b = slot(1, wake, clock);
    a.pass(true); // first rows: wakes (nobody waits yet)
    await turns();
    b.pass(false);
    clock.ms += 500;
    a.pass(true); // rows again within ACTIVE_AFTER_ROWS_MS: streaming, not a restart
    await turns();
    expect(b.waiting).toBe(true);
    clock.ms += 1_000;
    a.pass(true); // a second without rows, then rows: its table's writes started again
    await turns();
    expect(b.waiting).toBe(false);
  });

  it('does not end a caught-up (streaming) slot’s short wait, only idle ones', async () => {
    const wake = new SlotWake();
    const clock = { ms: 10_000 };
    const a = slot(0, wake, clock);
    const b = slot(1, wake, clock);
    b.pass(true); // b streams: waits the rest of minMs, not an idle wait
    await turns();
    expect(wake.idleSlots).toBe(0);
    a.pass(true);
    await turns();
    expect(b.waiting).toBe(true);
  });
});
