/**
 * SQLSTATE (pg's DatabaseError.code) → what the sink does. Only data problems of one record are
 * dead-lettered; anything about the server, the connection or concurrency is retried, so an outage
 * never empties the pipeline into the DLQ (kafka-connect-jdbc #1312).
 */
export type PgErrorAction = 'retry' | 'record';

export interface PgErrorClass {
  action: PgErrorAction;
  reason: 'type-violation' | 'constraint-violation' | 'transient';
}

const RECORD_CLASSES: Record<string, PgErrorClass['reason']> = {
  '22': 'type-violation', // data exception: bad text representation, out of range, bad datetime…
  '23': 'constraint-violation', // integrity constraint: not null, unique, check, foreign key
};

/** 42804 datatype mismatch, 42846 cannot coerce, 2202E array subscript: the record's values. */
const RECORD_CODES: Record<string, PgErrorClass['reason']> = {
  '42804': 'type-violation',
  '42846': 'type-violation',
};

export function classifyPgError(err: unknown): PgErrorClass {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? ((err as { code: string }).code) : undefined;
  // No SQLSTATE: a socket error (ECONNRESET, ECONNREFUSED) or "Connection terminated": transient.
  if (code === undefined || code.length !== 5) return { action: 'retry', reason: 'transient' };
  const byCode = RECORD_CODES[code];
  if (byCode) return { action: 'record', reason: byCode };
  const byClass = RECORD_CLASSES[code.slice(0, 2)];
  if (byClass) return { action: 'record', reason: byClass };
  // 08 connection, 40001 serialization, 40P01 deadlock, 53 resources, 55P03 lock, 57P01 admin
  // shutdown, 58 system, XX internal; also 42 (undefined column after a concurrent DDL) — retried
  // after the table is re-read rather than dead-lettering every record of the table.
  return { action: 'retry', reason: 'transient' };
}
