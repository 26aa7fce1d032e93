/**
 * Every error the sink meets while writing a batch has one of three classes (design: transient,
 * record, fatal), decided here once from what the error carries: a PostgreSQL SQLSTATE (found on the
 * error or along its `cause` chain), our own ReplicatorError code, or a record-level RecordError.
 *
 * - transient: the server, the network or concurrency. Retried with capped backoff while the sink
 *   reports unhealthy; never dead-lettered, so an outage never empties the pipeline into the DLQ.
 * - record: the record or its schema. Those records are dead-lettered with the reason; the rest go on.
 * - fatal: configuration (credentials, privileges, database). Retrying cannot help: the process exits
 *   non-zero with a message naming the setting.
 * - unknown (any other SQLSTATE): retried `UNKNOWN_ATTEMPTS` times (the table is re-read in between,
 *   which cures a concurrent ALTER), then treated as the batch's fault, so no error is retried
 *   without bound and one table cannot hold up the others forever.
 *
 * SQLSTATE classes: PostgreSQL manual, Appendix A "PostgreSQL Error Codes".
 */
import { hasCode, ReplicatorError } from '../../core/errors.js';
import { RecordError } from './record-error.js';
import type { DlqReason } from './types.js';

export type ErrorClass = { kind: 'transient' } | { kind: 'record'; reason: DlqReason } | { kind: 'fatal'; setting: string; message: string } | { kind: 'unknown'; code: string };

export const UNKNOWN_ATTEMPTS = 5;

/** Data the statement could not store: this record's values. */
const DATA_CLASSES: Record<string, DlqReason> = { '22': 'type-violation', '23': 'constraint-violation' };
const DATA_CODES: Record<string, DlqReason> = {
  '42804': 'type-violation', // datatype mismatch
  '42846': 'type-violation', // cannot coerce
  '54000': 'too-large', // program limit: e.g. an index row above 1/3 of a page (a huge key)
};

/** DDL the record's schema asked for and PostgreSQL refused. */
const DDL_CODES = new Set(['42701', '42P07', '42601', '42622', '42611', '42P16', '42704', '42939', '0A000', '22023', '54011', '54023', '2202E']);

const TRANSIENT_CLASSES = new Set(['08', '53', '57', '58', 'XX', '40']);
const TRANSIENT_CODES = new Set(['55P03', '55006', '55000']);

const FATAL: Record<string, { setting: string; what: string }> = {
  '28': { setting: 'PG_URL', what: 'PostgreSQL refused the credentials' },
  '42501': { setting: 'PG_URL', what: 'the PostgreSQL user lacks a privilege the sink needs' },
  '3D000': { setting: 'PG_URL', what: 'the PostgreSQL database does not exist' },
  '3F000': { setting: 'PG_SCHEMA', what: 'the PostgreSQL schema does not exist' },
};

interface Carrier {
  code?: unknown;
  cause?: unknown;
  message?: unknown;
}

/**
 * The first SQLSTATE along the cause chain (pg DatabaseError.code is 5 characters). Node's system
 * errors also have string codes, some 5 letters long (EPIPE, EPERM): they carry `syscall`, and no
 * SQLSTATE class starts with E, so neither is taken for one.
 */
export function sqlState(err: unknown): string | undefined {
  for (let e = err as Carrier | undefined, depth = 0; e && depth < 8; e = e.cause as Carrier | undefined, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(e.code) && !('syscall' in e)) return e.code;
  }
  return undefined;
}

/**
 * `ddl`: the error came from creating or altering the target table (TableManager wraps those as
 * CDC_SCHEMA, which is also the default for such errors).
 */
export function classifyError(err: unknown, where?: 'apply' | 'ddl'): ErrorClass {
  if (err instanceof RecordError) return { kind: 'record', reason: err.reason };
  // Our own configuration errors met while writing (SINK_EXCLUDE_COLUMNS naming a key column).
  if (err instanceof ReplicatorError && err.code === 'CDC_CONFIG') return { kind: 'fatal', setting: err.message.split(':')[0]!, message: err.message };
  where ??= err instanceof ReplicatorError && err.code === 'CDC_SCHEMA' ? 'ddl' : 'apply';
  const code = sqlState(err);
  if (code === undefined) return { kind: 'transient' }; // sockets, timeouts, registry, Kafka
  const fatal = FATAL[code] ?? FATAL[code.slice(0, 2)];
  if (fatal) return { kind: 'fatal', setting: fatal.setting, message: `${fatal.what} (SQLSTATE ${code}): check ${fatal.setting}` };
  if (TRANSIENT_CODES.has(code) || TRANSIENT_CLASSES.has(code.slice(0, 2))) return { kind: 'transient' };
  const data = DATA_CODES[code] ?? DATA_CLASSES[code.slice(0, 2)];
  if (data) return { kind: 'record', reason: where === 'ddl' ? 'schema-rejected' : data };
  if (where === 'ddl' && DDL_CODES.has(code)) return { kind: 'record', reason: 'schema-rejected' };
  return { kind: 'unknown', code };
}

/** What to do with a batch after its `attempt`-th failure (0-based). */
export function batchFailureAction(cls: ErrorClass, attempt: number): 'retry' | 'dead-letter' | 'fatal' {
  if (cls.kind === 'fatal') return 'fatal';
  if (cls.kind === 'record') return 'dead-letter';
  if (cls.kind === 'unknown') return attempt + 1 >= UNKNOWN_ATTEMPTS ? 'dead-letter' : 'retry';
  return 'retry';
}

/**
 * The error to end the process with, when `err` is one no retry can fix: our own CDC_CONFIG errors
 * (e.g. a registry URL that is not the API) and fatal SQLSTATEs. Exit code 2, as for bad config.
 */
export function fatalError(err: unknown): ReplicatorError | undefined {
  if (err instanceof ReplicatorError && err.code === 'CDC_CONFIG') return Object.assign(err, { exitCode: (err as { exitCode?: number }).exitCode ?? 2 });
  const cls = classifyError(err);
  if (cls.kind !== 'fatal') return undefined;
  return Object.assign(new ReplicatorError('CDC_CONFIG', cls.message, false, { cause: err }), { exitCode: 2 });
}

/**
 * The cached table definition may be out of date (our DDL failed, or PostgreSQL reports a missing
 * or mismatched object, SQLSTATE class 42): re-read the table before the retry.
 */
export const isStaleTable = (err: unknown): boolean => hasCode(err, 'CDC_SCHEMA') || sqlState(err)?.startsWith('42') === true;
