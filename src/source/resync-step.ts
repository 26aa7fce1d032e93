/**
 * A table's step once its initial snapshot is over: streaming, and beside it the slot's share of an
 * on-demand snapshot (`scylla-pg-cdc snapshot --table`) when one was requested.
 *
 * The two share the table's checkpoint and take turns: one streaming step, then one snapshot
 * transaction (at most SOURCE_MAX_BATCH_RECORDS rows), so the stream of this table (and of the
 * slot's other tables, stepped by the same loop) never waits for more than one snapshot batch.
 * Both commit through the worker's transaction, records and checkpoint together, so a crash
 * resumes the snapshot at the last partition it emitted, under the same request id and start time.
 */
import { resyncDue, resyncInProgress, startResync } from './core/snapshot-request.js';
import type { SlotCheckpoint } from './core/checkpoint.js';
import type { SlotStepHost, StepResult, TableRuntime } from './slot-context.js';
import { snapshotStep } from './snapshot-step.js';
import { streamStep } from './stream-step.js';

export async function streamAndResyncStep(host: SlotStepHost, rt: TableRuntime, st: SlotCheckpoint): Promise<StepResult> {
  const { ctx } = host;
  const req = ctx.snapshotRequest(rt.name);
  if (resyncDue(st, req)) {
    const gens = await ctx.generations(rt);
    if (gens.length > 0) {
      const next = startResync({ st, req, gens, slot: ctx.slot, slots: ctx.slots, nowMs: ctx.now(), confidenceMs: ctx.settings.cdcConfidenceWindowMs });
      // Committed at once: from now on a restart finds the request id and resumes instead of restarting.
      await host.commit(rt, [], next);
      ctx.log.info({ table: rt.name, slot: ctx.slot, request: req.id, ranges: next.snapshot!.ranges.length }, 'on-demand snapshot of slot started');
    }
  }
  const streamed = await streamStep(host, rt, host.state(rt.name) ?? st);
  const cur = host.state(rt.name);
  if (!cur || !resyncInProgress(cur) || host.stopping()) return streamed;
  await snapshotStep(host, rt, cur, { oneBatch: true });
  const after = host.state(rt.name);
  if (after?.snapshot?.done) ctx.log.info({ table: rt.name, slot: ctx.slot, request: after.snapshot.requestId }, 'on-demand snapshot of slot finished');
  return 'worked';
}
