/**
 * One error model for both processes. Our errors carry a code; decisions go by the code (and the
 * `retriable` flag set where the error is made), never by class identity or message text:
 * - CDC_FENCED: another owner took over (a newer slot producer, a newer partition claim). The work
 *   is dropped, never retried: the new owner redoes it.
 * - CDC_CONFIG: no retry can fix it; the process exits 2 naming the setting.
 * - CDC_SCHEMA: the target table's definition may be stale (the sink re-reads it before a retry).
 * - CDC_CLOSED: the process is stopping; the step gives up.
 * - the others name the dependency that failed (PostgreSQL, Kafka, registry, ScyllaDB) and are
 *   retried while `retriable`.
 * Foreign errors (drivers, sockets) are classified where they are caught: the sink by SQLSTATE
 * (sink/core/classify-error.ts); anything unclassified counts as transient.
 */
export type ErrorCode = 'CDC_CONFIG' | 'CDC_SCHEMA' | 'CDC_PG_RETRYABLE' | 'CDC_KAFKA' | 'CDC_REGISTRY' | 'CDC_SCYLLA' | 'CDC_FENCED' | 'CDC_CLOSED';

export class ReplicatorError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ReplicatorError';
  }
}

/** Decisions go by code, never by class identity or message text. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof ReplicatorError && err.code === code;
}

/** Another owner claimed the work (a newer producer epoch or partition generation): drop it, do not retry. */
export const isFenced = (err: unknown): boolean => hasCode(err, 'CDC_FENCED');

/**
 * Whether a retry may help: ours and kafkajs's errors say so (`retriable`); any other error is
 * unclassified here and counts as transient.
 */
export function isRetriable(err: unknown): boolean {
  const r = (err as { retriable?: unknown } | null | undefined)?.retriable;
  return typeof r === 'boolean' ? r : true;
}
