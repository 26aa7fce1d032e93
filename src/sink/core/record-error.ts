/** A record (or its schema) that cannot be applied: dead-lettered with `reason`, never retried. */
import type { DlqReason } from './types.js';

export class RecordError extends Error {
  constructor(
    readonly reason: DlqReason,
    message: string,
  ) {
    super(message);
    this.name = 'RecordError';
  }
}
