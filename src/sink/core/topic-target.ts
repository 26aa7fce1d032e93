/**
 * Where a record is written is decided by its topic and the configuration, never by the record.
 *
 * The target table of a topic is its `{table}` segment under KAFKA_TOPIC_TEMPLATE (the template the
 * source writes with); a topic the template does not match (e.g. the Scylla connector's
 * `<prefix>.<keyspace>.<table>`) maps to its last dot-separated segment. A record whose
 * `source.table_name` (or, when the template has `{keyspace}`, `source.keyspace_name`) says otherwise
 * is dead-lettered, and so is any record of a topic whose table would be one of the sink's own
 * `_cdc_` tables: a producer must not be able to write into the offsets table by naming it.
 */
import type { DecodeOutput } from './decode-record.js';
import type { PackedChange } from './packed-change.js';
import { isReserved } from '../../core/sql-ident.js';
import type { ClaimedTarget, RecordFailure } from './types.js';

export interface TopicTarget {
  table: string;
  /** Set only when the template names the keyspace. */
  keyspace?: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function templateRegex(template: string): { regex: RegExp; groups: ('keyspace' | 'table')[] } {
  const groups: ('keyspace' | 'table')[] = [];
  const parts = template.split(/(\{keyspace\}|\{table\})/);
  const body = parts
    .map((p) => {
      if (p === '{keyspace}' || p === '{table}') {
        groups.push(p === '{keyspace}' ? 'keyspace' : 'table');
        return '([^.]+)';
      }
      return escape(p);
    })
    .join('');
  return { regex: new RegExp(`^${body}$`), groups };
}

export function topicTarget(topic: string, template: string): TopicTarget {
  const { regex, groups } = templateRegex(template);
  const m = regex.exec(topic);
  if (m) {
    const out: Partial<TopicTarget> = {};
    groups.forEach((g, i) => (out[g] = m[i + 1]!));
    return out as TopicTarget;
  }
  return { table: topic.slice(topic.lastIndexOf('.') + 1) };
}

export type { ClaimedTarget };

export function targetProblem(topic: string, t: TopicTarget, claim: ClaimedTarget, template: string): string | undefined {
  if (isReserved(t.table)) return `topic ${topic} maps to table ${JSON.stringify(t.table)}: names starting with _cdc_ are the sink's own tables`;
  if (claim.table !== '' && claim.table !== t.table) {
    return `record names table ${JSON.stringify(claim.table)} but topic ${topic} maps to table ${JSON.stringify(t.table)} (KAFKA_TOPIC_TEMPLATE ${template})`;
  }
  if (t.keyspace !== undefined && claim.keyspace !== '' && claim.keyspace !== t.keyspace) {
    return `record names keyspace ${JSON.stringify(claim.keyspace)} but topic ${topic} maps to keyspace ${JSON.stringify(t.keyspace)} (KAFKA_TOPIC_TEMPLATE ${template})`;
  }
  return undefined;
}

export interface RoutedOutput extends Omit<DecodeOutput, 'changes'> {
  changes: PackedChange[];
}

/** Sets each change's table from its topic (its claim is dropped once checked); changes whose claim disagrees become failures. */
export function routeByTopic(out: DecodeOutput, template: string): RoutedOutput {
  const changes: PackedChange[] = [];
  const failed: RecordFailure[] = [...out.failed];
  const cache = new Map<string, TopicTarget>();
  for (const c of out.changes) {
    let t = cache.get(c.ref.topic);
    if (!t) cache.set(c.ref.topic, (t = topicTarget(c.ref.topic, template)));
    const problem = targetProblem(c.ref.topic, t, c.claimed, template);
    if (problem !== undefined) {
      failed.push({ ref: c.ref, reason: 'wrong-target', stage: 'TRANSFORMATION', errorClass: 'WrongTarget', message: problem });
      continue;
    }
    // Built field by field (one shape, no rest/spread copies): it lives until its batch commits.
    const change: PackedChange = { ref: c.ref, kind: c.kind, bytes: c.bytes, schemaIds: c.schemaIds, table: t.table, body: c.body };
    if (t.keyspace !== undefined) change.keyspace = t.keyspace;
    changes.push(change);
  }
  return { ...out, changes, failed };
}
