/**
 * The row-level view of classify-error.ts for the writer's bisection: a record-class error isolates
 * the bad row under a savepoint; anything else aborts the batch (the caller decides what next).
 */
import { classifyError } from './classify-error.js';
import type { DlqReason } from './types.js';

export type PgErrorAction = 'retry' | 'record';

export interface PgErrorClass {
  action: PgErrorAction;
  reason: DlqReason | 'transient';
}

export function classifyPgError(err: unknown): PgErrorClass {
  const c = classifyError(err, 'apply');
  return c.kind === 'record' ? { action: 'record', reason: c.reason } : { action: 'retry', reason: 'transient' };
}
