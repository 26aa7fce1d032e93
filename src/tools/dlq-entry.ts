/**
 * A dead-lettered record as operators read it: the `__connect.errors.*` headers the sink writes
 * (src/sink/core/dlq-headers.ts, the same names Kafka Connect's DeadLetterQueueReporter uses, so
 * records dead-lettered by the old JDBC sink read the same way), decoded into one plain object.
 */
import { DLQ_HEADER } from '../sink/core/dlq-headers.js';

export interface DlqEntry {
  dlqPartition: number;
  dlqOffset: string;
  /** Where the record came from. */
  topic: string | undefined;
  partition: number | undefined;
  offset: string | undefined;
  stage: string | undefined;
  reason: string | undefined;
  errorClass: string | undefined;
  message: string | undefined;
  /** When it was dead-lettered (header, else the DLQ record's timestamp). */
  time: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The original record's own headers (ours and Connect's error headers removed). */
  originalHeaders: Record<string, Buffer>;
}

export type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** Set on a replayed record: `<dlq topic>/<partition>/<offset>` it was replayed from. */
export const REPLAY_HEADER = '__cdc.replay.of';

const OURS = new Set<string>([...Object.values(DLQ_HEADER), REPLAY_HEADER]);

function text(h: RawHeaders, name: string): string | undefined {
  const v = h[name];
  const one = Array.isArray(v) ? v[v.length - 1] : v;
  return one === undefined ? undefined : Buffer.isBuffer(one) ? one.toString('utf8') : one;
}

export function toDlqEntry(m: { partition: number; offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: RawHeaders }): DlqEntry {
  const h = m.headers ?? {};
  const partition = text(h, DLQ_HEADER.partition);
  const originalHeaders: Record<string, Buffer> = {};
  for (const [name, v] of Object.entries(h)) {
    if (OURS.has(name) || name.startsWith('__connect.errors.') || v === undefined) continue;
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) originalHeaders[name] = Buffer.isBuffer(one) ? one : Buffer.from(one);
  }
  return {
    dlqPartition: m.partition,
    dlqOffset: m.offset,
    topic: text(h, DLQ_HEADER.topic),
    partition: partition === undefined ? undefined : Number(partition),
    offset: text(h, DLQ_HEADER.offset),
    stage: text(h, DLQ_HEADER.stage),
    reason: text(h, DLQ_HEADER.reason),
    errorClass: text(h, DLQ_HEADER.exceptionClass),
    message: text(h, DLQ_HEADER.message),
    time: text(h, DLQ_HEADER.time) ?? new Date(Number(m.timestamp)).toISOString(),
    key: m.key,
    value: m.value,
    originalHeaders,
  };
}

/** `--filter` terms: `reason=…`, `stage=…`, `partition=…`, `offset>=…`/`offset<=…`, `key~…` (substring of the shown key), `message~…`. */
export interface DlqFilter {
  topic?: string[];
  terms: { field: string; op: '=' | '~' | '>=' | '<='; value: string }[];
}

const NUMERIC_FIELDS = new Set(['partition', 'offset']);

/** Every term is checked here, before anything is read: a bad one is exit 2, never a crash mid-way. */
export function parseFilter(raw: string[]): DlqFilter['terms'] {
  return raw.map((t) => {
    const bad = (why: string) =>
      Object.assign(new Error(`bad --filter "${t}": ${why}; use reason=…, stage=…, partition=…, offset>=…, offset<=…, key~…, message~…`), { exitCode: 2 });
    const m = /^(reason|stage|partition|offset|key|message)(>=|<=|=|~)(.*)$/.exec(t);
    if (!m) throw bad('unknown field or operator');
    const [, field, op, value] = m as unknown as [string, string, '=' | '~' | '>=' | '<=', string];
    if ((op === '>=' || op === '<=') && !NUMERIC_FIELDS.has(field)) throw bad(`${op} applies to partition and offset only`);
    if (NUMERIC_FIELDS.has(field) && op !== '~' && !/^\d+$/.test(value)) throw bad(`${field} takes a non-negative integer`);
    if (value === '' && op !== '=') throw bad('empty value');
    return { field, op, value };
  });
}

export function matches(e: DlqEntry, shownKey: string, filter: DlqFilter): boolean {
  if (filter.topic && filter.topic.length > 0 && !filter.topic.includes(e.topic ?? '')) return false;
  return filter.terms.every((t) => {
    const actual =
      t.field === 'reason'
        ? e.reason
        : t.field === 'stage'
          ? e.stage
          : t.field === 'partition'
            ? String(e.partition)
            : t.field === 'offset'
              ? e.offset
              : t.field === 'key'
                ? shownKey
                : e.message;
    if (actual === undefined) return false;
    if (t.op === '=') return actual === t.value;
    if (t.op === '~') return actual.includes(t.value);
    const a = BigInt(actual);
    const b = BigInt(t.value);
    return t.op === '>=' ? a >= b : a <= b;
  });
}
