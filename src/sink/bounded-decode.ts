/**
 * Decoding that no record can stall or crash (docs/sink.md, "Hostile input"): oversized records are
 * refused before they reach a worker; a job that outlives SINK_DECODE_TIMEOUT_MS is aborted (piscina
 * terminates its worker and starts a new one), and so is one whose worker dies (a heap beyond
 * SINK_WORKER_HEAP_MB ends only that worker thread). Then every record of the job is retried once,
 * alone, so the good ones still decode; a record that fails alone too is dead-lettered.
 */
import type { Logger } from '../log/logger.js';
import { decodeFailure, mergeOutputs, splitOversized, withRefs } from './core/decode-limits.js';
import type { DecodeOutput, RawRecord } from './core/decode-record.js';
import type { DecodePool } from './decode-pool.js';

export interface DecodeLimits {
  maxRecordBytes: number;
  timeoutMs: number;
}

export class BoundedDecoder {
  constructor(
    private readonly pool: DecodePool,
    private readonly limits: DecodeLimits,
    private readonly log: Logger,
  ) {}

  /**
   * `cancelled`: the assignment the records were fetched for was replaced (a rebalance): a job still
   * queued is dropped rather than decoded for nothing ahead of the new assignment's (it used to
   * run anyway, and after a few rebalances under load the queue outlasted SINK_DECODE_TIMEOUT_MS).
   */
  async run(records: RawRecord[], schemas: Record<number, string>, cancelled?: AbortSignal): Promise<DecodeOutput> {
    const { fit, failed } = splitOversized(records, this.limits.maxRecordBytes);
    const head: DecodeOutput = { changes: [], failed, skipped: 0 };
    if (fit.length === 0) return head;
    try {
      return mergeOutputs([head, withRefs(await this.pool.run(fit, schemas, this.limits.timeoutMs, cancelled), fit)]);
    } catch (err) {
      if (this.pool.isClosed || cancelled?.aborted) throw err;
      this.log.warn({ err, records: fit.length }, 'decode job failed (time limit or worker lost); retrying its records one by one');
    }
    const parts: DecodeOutput[] = [head];
    for (const r of fit) {
      try {
        parts.push(withRefs(await this.pool.run([r], schemas, this.limits.timeoutMs), [r]));
      } catch (err) {
        if (this.pool.isClosed) throw err;
        parts.push({ changes: [], failed: [decodeFailure(r.ref, err)], skipped: 0 });
      }
    }
    return mergeOutputs(parts);
  }
}
