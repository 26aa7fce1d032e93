/**
 * Headers of a dead-lettered record: Kafka Connect's `__connect.errors.*` names (KIP-298,
 * DeadLetterQueueReporter) so existing DLQ tooling reads them, plus our reason and the time.
 * The record keeps its original key, value, and headers (original headers first).
 */
import type { RecordFailure } from './types.js';

export const DLQ_HEADER = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  connector: '__connect.errors.connector.name',
  stage: '__connect.errors.stage',
  className: '__connect.errors.class.name',
  exceptionClass: '__connect.errors.exception.class.name',
  message: '__connect.errors.exception.message',
  reason: '__cdc.errors.reason',
  time: '__cdc.errors.timestamp',
} as const;

export function dlqHeaders(f: RecordFailure, connectorName: string, nowMs: number): Record<string, string> {
  return {
    [DLQ_HEADER.topic]: f.ref.topic,
    [DLQ_HEADER.partition]: String(f.ref.partition),
    [DLQ_HEADER.offset]: f.ref.offset,
    [DLQ_HEADER.connector]: connectorName,
    [DLQ_HEADER.stage]: f.stage,
    [DLQ_HEADER.className]: 'scylla-pg-cdc.sink',
    [DLQ_HEADER.exceptionClass]: f.errorClass,
    [DLQ_HEADER.message]: f.message.slice(0, 4000),
    [DLQ_HEADER.reason]: f.reason,
    [DLQ_HEADER.time]: new Date(nowMs).toISOString(),
  };
}
