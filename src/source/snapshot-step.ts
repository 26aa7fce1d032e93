/**
 * One snapshot step of one table in one slot: reads the next token range of the slot's snapshot
 * and emits its rows as `r` records. A transaction is cut only between partitions (tokens), so
 * `afterToken` in the checkpoint always names a partition that is completely out.
 *
 * `oneBatch` (on-demand snapshots, resync-step.ts): the step ends after its first transaction, so
 * the slot's loop gets back to streaming after every `SOURCE_MAX_BATCH_RECORDS` snapshot rows.
 */
import type { SourceRecord } from './core/build-envelope.js';
import { buildSnapshotRecord } from './core/build-envelope.js';
import type { SlotCheckpoint } from './core/checkpoint.js';
import { scyllaQuery } from './scylla-query.js';
import type { SlotStepHost, StepResult, TableRuntime } from './slot-context.js';

export async function snapshotStep(host: SlotStepHost, rt: TableRuntime, st: SlotCheckpoint, opts: { oneBatch?: boolean } = {}): Promise<StepResult> {
  const { ctx } = host;
  const snap = st.snapshot!;
  const range = snap.ranges[snap.rangePos];
  if (!range) {
    await host.commit(rt, [], { ...st, snapshot: { ...snap, done: true } });
    return 'worked';
  }
  const s = ctx.settings;
  const ctxEnv = { sourceName: s.sourceName, version: s.version, nowMs: ctx.now() };
  const tsMicros = (snap.tsMs ?? snap.startMs) * 1000;
  let cur = st;
  let pending: SourceRecord[] = [];
  let lastCompleteToken: bigint | null = null;
  let openToken: bigint | null = null;
  let openRecords: SourceRecord[] = [];
  let cutShort = false;
  const after = snap.afterToken !== null ? BigInt(snap.afterToken) : BigInt(range[0]);
  await scyllaQuery('snapshot', async () => {
    for await (const page of ctx.snapshotReader.readRange(rt.model, after, BigInt(range[1]))) {
      for (const { token, row } of page) {
        if (openToken !== null && token !== openToken) {
          // the previous partition is complete: it may go out in this transaction
          for (const rec of openRecords) pending.push(rec);
          lastCompleteToken = openToken;
          openRecords = [];
          if (pending.length >= s.sourceMaxBatchRecords) {
            cur = { ...cur, snapshot: { ...cur.snapshot!, afterToken: lastCompleteToken.toString() } };
            await host.commit(rt, pending, cur);
            pending = [];
            if (host.stopping() || opts.oneBatch) {
              cutShort = true; // the checkpoint names the last partition out: the next step goes on from there
              return;
            }
          }
        }
        openToken = token;
        openRecords.push(buildSnapshotRecord(rt.model, row, ctxEnv, tsMicros));
      }
    }
  });
  if (cutShort) return 'worked';
  for (const rec of openRecords) pending.push(rec);
  const nextPos = cur.snapshot!.rangePos + 1;
  const doneAll = nextPos >= cur.snapshot!.ranges.length;
  await host.commit(rt, pending, { ...cur, snapshot: { ...cur.snapshot!, rangePos: nextPos, afterToken: null, done: doneAll } });
  if (doneAll) ctx.log.info({ table: rt.name, slot: ctx.slot }, 'snapshot of slot finished');
  return 'worked';
}
