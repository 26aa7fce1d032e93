/** Dead letters for every record of a batch the batch-level error classifier blamed on its records. */
import type { ErrorClass } from './classify-error.js';
import { sqlState } from './classify-error.js';
import type { RecordFailure, RecordRef } from './types.js';

export function batchFailures(changes: { ref: RecordRef }[], cls: ErrorClass, err: unknown): RecordFailure[] {
  const reason = cls.kind === 'record' ? cls.reason : 'schema-rejected';
  const code = sqlState(err);
  const e = err as { message?: string; cause?: { detail?: string } };
  const message = `${e.message ?? String(err)}${e.cause?.detail ? ` (${e.cause.detail})` : ''}`;
  const errorClass = code ? `PostgreSQL ${code}` : err instanceof Error ? err.name : 'Error';
  return changes.map((c) => ({ ref: c.ref, reason, stage: 'TASK_PUT', errorClass, message }));
}
