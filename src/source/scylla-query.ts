import { ReplicatorError } from '../core/errors.js';
import { sourceQueries } from '../metrics/source-metrics.js';

/** Runs one ScyllaDB read, counting it by kind and outcome; a failure becomes a retriable CDC_SCYLLA. */
export async function scyllaQuery<T>(kind: string, fn: () => Promise<T>): Promise<T> {
  let r: T;
  try {
    r = await fn();
  } catch (err) {
    throw scyllaFailure(kind, err);
  }
  scyllaSucceeded(kind);
  return r;
}

/** Counts a read that failed (a query, or one page of it) and says so as a retriable CDC_SCYLLA. */
export function scyllaFailure(kind: string, err: unknown): ReplicatorError {
  sourceQueries.inc({ kind, outcome: 'error' });
  return new ReplicatorError('CDC_SCYLLA', `${kind} query failed: ${(err as Error).message}`, true, { cause: err });
}

/** Counts a read that answered (every page of a paged query). */
export function scyllaSucceeded(kind: string): void {
  sourceQueries.inc({ kind, outcome: 'ok' });
}
