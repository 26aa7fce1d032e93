/**
 * Errors are typed by code and behaviour (kafkajs `retriable`, platformatic `canRetry`): shells
 * classify once at the boundary, loops decide retry vs dead-letter vs fatal from the code alone.
 */
export type ErrorCode =
  | 'CDC_CONFIG'
  | 'CDC_DECODE'
  | 'CDC_SCHEMA'
  | 'CDC_PG_RETRYABLE'
  | 'CDC_PG_RECORD'
  | 'CDC_KAFKA'
  | 'CDC_REGISTRY'
  | 'CDC_SCYLLA'
  | 'CDC_FENCED'
  | 'CDC_CLOSED';

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

export function isRetriable(err: unknown): boolean {
  return err instanceof ReplicatorError ? err.retriable : false;
}

/** Decisions go by code, never by class identity or message text. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof ReplicatorError && err.code === code;
}
