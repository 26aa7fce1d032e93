/**
 * One PostgreSQL transaction per table batch: COPY into the staging table → set-based apply per step
 * → dead letters produced and acked → offsets (fenced) → COMMIT.
 *
 * A record-level error (classify-error.ts: classes 22/23, 54000, …) is isolated by bisection under
 * savepoints: the failing half is split until the single bad row is found; the rest of the batch
 * commits. Any other error is thrown: the caller rolls back and retries the whole batch.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ReplicatorError } from '../core/errors.js';
import { applyRowsTotal, batchPhaseSeconds } from '../metrics/sink-metrics.js';
import { staticPartitionDeleteSql, staticRowSql } from './core/static-partition-sql.js';
import { barrierDeleteSql, copyStagingSql, deleteRowsSql, insertTombstonesSql, mergeRowsSql, stagingDdl, stagingLine, truncateStagingSql } from './core/apply-sql.js';
import { staticRowUpdateSql } from './core/static-row-sql.js';
import { anyRangeTombstoneSql } from './core/range-tombstone-sql.js';
import { isPlainRow, plainUpsertSql } from './core/plain-upsert-sql.js';
import { classifyError } from './core/classify-error.js';
import { rowTombstone, type FoldedRow, type Step } from './core/fold.js';
import type { TargetTable } from './core/target-table.js';
import type { DlqReason, RecordFailure, RecordRef, RowChange } from './core/types.js';
import type { OffsetStore, OffsetWrite } from './offset-store.js';

export interface WriteInput {
  target: TargetTable | undefined;
  steps: Step[];
  offsets: OffsetWrite[];
  /** Produces dead letters and resolves once acked; called before COMMIT. */
  deadLetter: (failures: RecordFailure[]) => Promise<void>;
  /**
   * Also isolate rows failing with an unclassified SQLSTATE (classify-error.ts "unknown"): the last
   * resort after the batch failed that way several times, so its good rows still apply.
   */
  isolateUnknown?: boolean;
  /**
   * Other flush lanes of the table may be inserting the same key (core/flush-lanes.ts): a unique
   * violation is thrown, not dead-lettered, so the flusher retries the batch alone.
   */
  uniqueRaces?: boolean;
}

export interface WriteResult {
  failed: RecordFailure[];
}

const COPY_CHUNK = 256 * 1024;

/** SQLSTATE unique_violation. */
export const UNIQUE_VIOLATION = '23505';

export class FencedError extends ReplicatorError {
  constructor() {
    super('CDC_FENCED', 'offsets commit fenced: a newer owner holds a partition of this batch', false);
  }
}

export interface PgWriterOptions {
  synchronousCommit: 'on' | 'off';
  /** SINK_APPLY_PATH: `auto` = plain rows through INSERT … ON CONFLICT (plain-upsert-sql.ts), `merge` = every row through the MERGE. */
  applyPath?: 'auto' | 'merge';
}

export class PgWriter {
  private readonly begin: string;
  private readonly plainPath: boolean;

  constructor(
    private readonly pool: Pool,
    private readonly offsets: OffsetStore,
    opts: PgWriterOptions = { synchronousCommit: 'on' },
  ) {
    // One round trip either way (simple query protocol); SET LOCAL ends with the transaction.
    this.begin = opts.synchronousCommit === 'off' ? 'BEGIN; SET LOCAL synchronous_commit TO off' : 'BEGIN';
    this.plainPath = opts.applyPath !== 'merge';
  }

  async write(input: WriteInput): Promise<WriteResult> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new ReplicatorError('CDC_PG_RETRYABLE', `PostgreSQL unavailable: ${(err as Error).message}`, true, { cause: err });
    }
    const failed: RecordFailure[] = [];
    try {
      await client.query(this.begin);
      let staged = false;
      let used = false;
      for (const step of input.steps) {
        if (!input.target) break;
        if (step.type === 'rows') {
          if (step.rows.length === 0) continue;
          if (!staged) {
            await client.query(stagingDdl(input.target));
            staged = true;
          }
          await this.applyRows(client, input.target, step.rows, failed, used, isolation(input));
          used = true;
        } else {
          for (const c of step.changes) await this.applyBarrier(client, input.target, c, failed, isolation(input));
        }
      }
      if (failed.length > 0) await input.deadLetter(failed);
      const t0 = performance.now();
      if (!(await this.offsets.commit(client, input.offsets))) {
        await client.query('ROLLBACK');
        client.release();
        throw new FencedError();
      }
      await client.query('COMMIT');
      batchPhaseSeconds.observe({ phase: 'commit' }, (performance.now() - t0) / 1000);
      client.release();
      return { failed };
    } catch (err) {
      if (err instanceof FencedError) throw err;
      // The connection may be dead or mid-COPY: discard it rather than return it to the pool.
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err as Error);
      throw err;
    }
  }

  private async applyRows(client: PoolClient, t: TargetTable, rows: FoldedRow[], failed: RecordFailure[], truncate: boolean, isolate: Isolation): Promise<void> {
    await client.query('SAVEPOINT cdc_rows');
    try {
      await this.stageAndApply(client, t, rows, truncate);
      await client.query('RELEASE SAVEPOINT cdc_rows');
      return;
    } catch (err) {
      const reason = rowReason(err, isolate);
      if (reason === undefined) throw err;
      await client.query('ROLLBACK TO SAVEPOINT cdc_rows');
      await client.query('RELEASE SAVEPOINT cdc_rows');
      if (rows.length === 1) {
        for (const ref of rows[0]!.refs) failed.push(pgFailure(ref, reason, err));
        return;
      }
    }
    const mid = Math.ceil(rows.length / 2);
    await this.applyRows(client, t, rows.slice(0, mid), failed, true, isolate);
    await this.applyRows(client, t, rows.slice(mid), failed, true, isolate);
  }

  private async stageAndApply(client: PoolClient, t: TargetTable, rows: FoldedRow[], truncate: boolean): Promise<void> {
    const t0 = performance.now();
    // Empty except after an earlier step or bisection half of this transaction.
    if (truncate) await client.query(truncateStagingSql);
    const stream = client.query(copyFrom(copyStagingSql));
    const encode = { ms: 0, plain: 0 };
    const plainOk = this.plainPath && t.onConflictKey === true;
    await pipeline(Readable.from(copyChunks(t, rows, plainOk, encode)), stream);
    const t1 = performance.now();
    // `copy` is the whole statement; `encode` the part of it spent building its text on this thread.
    batchPhaseSeconds.observe({ phase: 'copy' }, (t1 - t0) / 1000);
    batchPhaseSeconds.observe({ phase: 'encode' }, encode.ms / 1000);
    if (rows.some((r) => r.op === 'delete')) await client.query(deleteRowsSql(t));
    if (rows.some((r) => rowTombstone(r) !== null)) await client.query(insertTombstonesSql(t));
    // Also for deletes: rows kept alive by newer cells lose their cells not newer than the delete.
    const ranges = anyRangeTombstoneSql(t);
    const noRangeTombstones = ranges !== undefined && !(await client.query<{ any: boolean }>(ranges)).rows[0]?.any;
    // Plain rows it wrote leave the staging table; the MERGE runs only over what is left.
    const plainDone = encode.plain > 0 ? ((await client.query(plainUpsertSql(t, { noRangeTombstones }))).rowCount ?? 0) : 0;
    if (plainDone < rows.length) await client.query(mergeRowsSql(t, { noRangeTombstones }));
    applyRowsTotal.inc({ path: 'insert' }, plainDone);
    applyRowsTotal.inc({ path: 'merge' }, rows.length - plainDone);
    batchPhaseSeconds.observe({ phase: 'apply' }, (performance.now() - t1) / 1000);
  }

  private async applyBarrier(client: PoolClient, t: TargetTable, c: RowChange, failed: RecordFailure[], isolate: Isolation): Promise<void> {
    const one = c.kind === 'static_row' ? staticRowUpdateSql(t, c) : undefined;
    const statements = c.kind === 'static_row' ? (one ? [one] : []) : barrierDeleteSql(t, c);
    // The partition's static cells also live in the companion table (core/static-partition-sql.ts).
    if (t.statics && c.kind === 'static_row') statements.push(...staticRowSql(t.statics, c));
    if (t.statics && c.kind === 'partition_delete') statements.push(...staticPartitionDeleteSql(t.statics, c));
    if (statements.length === 0) return;
    await client.query('SAVEPOINT cdc_barrier');
    try {
      for (const sql of statements) await client.query(sql.text, sql.values);
      await client.query('RELEASE SAVEPOINT cdc_barrier');
    } catch (err) {
      const reason = rowReason(err, isolate);
      if (reason === undefined) throw err;
      await client.query('ROLLBACK TO SAVEPOINT cdc_barrier');
      failed.push(pgFailure(c.ref, reason, err));
    }
  }
}

/**
 * The COPY text in chunks; `encode.ms` adds up the time spent inside (not while the stream waits on
 * PostgreSQL), `encode.plain` counts the rows staged as plain (`plainOk`: the table allows it).
 */
function* copyChunks(t: TargetTable, rows: FoldedRow[], plainOk: boolean, encode: { ms: number; plain: number }): Generator<string> {
  let buf = '';
  let t0 = performance.now();
  for (const r of rows) {
    const plain = plainOk && isPlainRow(t, r);
    if (plain) encode.plain++;
    buf += stagingLine(t, r, plain);
    if (buf.length >= COPY_CHUNK) {
      encode.ms += performance.now() - t0;
      yield buf;
      t0 = performance.now();
      buf = '';
    }
  }
  encode.ms += performance.now() - t0;
  if (buf.length > 0) yield buf;
}

/** Which errors are one row's fault, beyond record errors (WriteInput). */
type Isolation = Pick<WriteInput, 'isolateUnknown' | 'uniqueRaces'>;
const isolation = (input: WriteInput): Isolation => ({ isolateUnknown: input.isolateUnknown === true, uniqueRaces: input.uniqueRaces === true });

/** The dead-letter reason when `err` is one row's fault (or, isolating, unclassified); else undefined. */
function rowReason(err: unknown, isolate: Isolation): DlqReason | undefined {
  if (isolate.uniqueRaces && (err as { code?: unknown }).code === UNIQUE_VIOLATION) return undefined;
  const cls = classifyError(err, 'apply');
  if (cls.kind === 'record') return cls.reason;
  return isolate.isolateUnknown && cls.kind === 'unknown' ? 'schema-rejected' : undefined;
}

function pgFailure(ref: RecordRef, reason: RecordFailure['reason'], err: unknown): RecordFailure {
  const e = err as { code?: string; message?: string; detail?: string };
  return {
    ref,
    reason,
    stage: 'TASK_PUT',
    errorClass: `PostgreSQL ${e.code ?? ''}`.trim(),
    message: `${e.message ?? String(err)}${e.detail ? ` (${e.detail})` : ''}`,
  };
}
