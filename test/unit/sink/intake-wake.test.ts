/**
 * The intake wakes the flusher once a fetch no longer counts as on its way (`decoding` dropped). The
 * flusher closes a batch at once only when no fetch is decoding or waiting to be routed (flusher.ts,
 * early close); woken while the last fetch still counted, it left the batch to wait for its age
 * (SINK_BATCH_MAX_WAIT_MS, 200 ms) with nothing more coming. Real Intake and AssignmentState, a
 * stand-in decoder; what is checked is what the flusher sees when it is woken.
 */
import type { Batch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { AssignmentState } from '../../../src/sink/assignment-state.js';
import { tpKey } from '../../../src/sink/core/offset-tracker.js';
import type { DecodeOutput } from '../../../src/sink/core/decode-record.js';
import { Intake, type IntakeDeps } from '../../../src/sink/intake.js';

const log = createLogger('test', 'silent');
const T = 'cdc.scylla.t';

describe('intake → flusher wake-up', () => {
  it('wakes the flusher after the routed fetch stopped counting as on its way', async () => {
    const state = new AssignmentState({ maxSize: 10, maxWaitMs: 200 });
    state.tracker.assign(tpKey(T, 0), 0n);
    state.fetched.set(tpKey(T, 0), 0n);
    const seenOnWake: number[] = [];
    const empty: DecodeOutput = { changes: [], failed: [], skipped: 0 };
    const intake = new Intake({
      log,
      topicTemplate: 'cdc.scylla.{table}',
      maxInflightBytes: 1 << 30,
      tablePaused: () => false,
      decoder: { run: async () => empty },
      state: () => state,
      running: () => true,
      draining: () => false,
      ready: () => undefined,
      routed: () => seenOnWake.push(state.decoding),
    } as unknown as IntakeDeps);
    const fetch = (offset: number) =>
      ({ topic: T, partition: 0, messages: [{ offset: String(offset), key: null, value: Buffer.from('x') }], lastOffset: () => String(offset) }) as unknown as Batch;
    await intake.onBatch(fetch(0), async () => undefined);
    await intake.onBatch(fetch(1), async () => undefined);
    await intake.idle();
    // One wake per fetch; at the last one nothing is on its way any more, so the flusher may close.
    expect(seenOnWake).toEqual([1, 0]);
  });
});
