import { ReplicatorError } from '../core/errors.js';
import { sourceQueries } from '../metrics/source-metrics.js';

/** Runs one ScyllaDB read, counting it by kind and outcome; a failure becomes a retriable CDC_SCYLLA. */
export async function scyllaQuery<T>(kind: string, fn: () => Promise<T>): Promise<T> {
  try {
    const r = await fn();
    sourceQueries.inc({ kind, outcome: 'ok' });
    return r;
  } catch (err) {
    sourceQueries.inc({ kind, outcome: 'error' });
    throw new ReplicatorError('CDC_SCYLLA', `${kind} query failed: ${(err as Error).message}`, true, { cause: err });
  }
}
