/** The source process's configuration (README, "Configuration", ScyllaDB docs/features/cdc/cdc-querying-streams.rst for the windows). */
import { z } from 'zod';
import { kafkaVars, opsVars, scyllaVars } from './common-vars.js';
import { topicCollisions } from '../core/topic-name.js';
import { connectionProblems } from './connection-checks.js';
import { defineVar, intIn, loadConfig, oneOf, str, type ConfigOf, type FileReader } from './spec.js';

const cdcStart = z
  .string()
  .trim()
  .refine((v) => v === 'earliest' || v === 'now' || !Number.isNaN(Date.parse(v)), { message: 'expected earliest, now or an ISO-8601 time' });

export const sourceVars = {
  ...scyllaVars,
  ...kafkaVars,
  ...opsVars('9101'),
  sourceName: defineVar({
    env: 'SOURCE_NAME',
    schema: str.regex(/^[A-Za-z0-9_.-]+$/, { message: 'expected [A-Za-z0-9_.-]+' }),
    default: 'scylla-pg-cdc',
    description: 'logical name: source.name in records, prefix of transactional ids and internal topics',
  }),
  cdcQueryWindowMs: defineVar({ env: 'CDC_QUERY_WINDOW_MS', schema: intIn(100), default: '30000', description: 'largest cdc$time window read per stream query' }),
  cdcConfidenceWindowMs: defineVar({
    env: 'CDC_CONFIDENCE_WINDOW_MS',
    schema: intIn(0),
    default: '5000',
    description: 'never read closer than this to now: rows may become visible late (ScyllaDB docs/features/cdc/cdc-querying-streams.rst)',
  }),
  cdcPollIntervalMs: defineVar({
    env: 'CDC_POLL_INTERVAL_MS',
    schema: intIn(10),
    default: '100',
    description: 'a window every this many ms while changes flow; idle polls double from it up to max(it, 500 ms)',
  }),
  cdcStart: defineVar({ env: 'CDC_START', schema: cdcStart, default: 'earliest', description: 'where to start without a checkpoint: earliest, now, or an ISO time' }),
  cdcFetchSize: defineVar({ env: 'CDC_FETCH_SIZE', schema: intIn(1, 100000), default: '1000', description: 'page size of log reads (rows a slot holds per query in flight)' }),
  snapshotMode: defineVar({
    env: 'SNAPSHOT_MODE',
    schema: oneOf(['initial', 'never', 'initial_only']),
    default: 'initial',
    description: 'initial (snapshot without checkpoint, then stream), never, initial_only',
  }),
  snapshotFetchSize: defineVar({ env: 'SNAPSHOT_FETCH_SIZE', schema: intIn(1, 100000), default: '2000', description: 'page size of snapshot reads' }),
  sourceSlots: defineVar({
    env: 'SOURCE_SLOTS',
    schema: intIn(1, 1024),
    default: '16',
    description: 'stream groups shared by source processes (partitions of the control topic); fixed per deployment',
  }),
  sourceMaxBatchRecords: defineVar({ env: 'SOURCE_MAX_BATCH_RECORDS', schema: intIn(1), default: '5000', description: 'most records in one Kafka transaction' }),
  sourceMaxInflightBytes: defineVar({
    env: 'SOURCE_MAX_INFLIGHT_BYTES',
    schema: intIn(65536),
    default: '4194304',
    description:
      "Avro bytes built but not yet committed plus log pages fetched but not yet turned into records (wire size), over all of a process's slots; a query fetches a page only when it fits, its slot committing a smaller transaction first",
  }),
  sourceHeapGrowingPercent: defineVar({
    env: 'SOURCE_HEAP_GROWING_PERCENT',
    schema: intIn(0, 400),
    default: '50',
    description:
      "how far V8 lets the source's heap grow past its live size before a full collection (V8's --heap-growing-percent); lower = less memory, more GC; 0 = V8's own heuristics (docs/source.md, \"Throughput and memory\")",
  }),
  kafkaTopicPartitions: defineVar({ env: 'KAFKA_TOPIC_PARTITIONS', schema: intIn(1, 10000), default: '6', description: 'partitions of data topics the source creates' }),
  kafkaTopicReplication: defineVar({
    env: 'KAFKA_TOPIC_REPLICATION',
    schema: intIn(1, 10),
    description: "replication factor of topics the source creates (unset = the broker's default.replication.factor)",
  }),
  sourceGroupSessionTimeoutMs: defineVar({
    env: 'SOURCE_GROUP_SESSION_TIMEOUT_MS',
    schema: intIn(6000, 300000),
    default: '10000',
    description: "session timeout of the slot group: a dead process's slots move to the others after this",
  }),
  sourceCheckpointIntervalMs: defineVar({
    env: 'SOURCE_CHECKPOINT_INTERVAL_MS',
    schema: intIn(100),
    default: '5000',
    description: 'how often progress through empty windows is checkpointed (data windows commit with their records)',
  }),
  sourceReadConcurrency: defineVar({
    env: 'SOURCE_READ_CONCURRENCY',
    schema: intIn(1, 256),
    default: '4',
    description: 'log queries in flight per slot (one query per group of stream units, SOURCE_STREAMS_PER_QUERY)',
  }),
  sourceStreamsPerQuery: defineVar({
    env: 'SOURCE_STREAMS_PER_QUERY',
    schema: intIn(1, 1000),
    default: '100',
    description:
      'vnodes: most CDC streams one log query names; units whose streams have the same replicas share a query up to this (ScyllaDB max_partition_key_restrictions_per_query, default 100); 1 = one query per unit',
  }),
  kafkaTransactionTimeoutMs: defineVar({
    env: 'KAFKA_TRANSACTION_TIMEOUT_MS',
    schema: intIn(1000),
    default: '60000',
    description: 'transaction timeout; a zombie is fenced no later than this',
  }),
};

export type SourceConfig = ConfigOf<typeof sourceVars>;

export function loadSourceConfig(env: Record<string, string | undefined> = process.env, readFile?: FileReader): SourceConfig {
  return loadConfig(sourceVars, env, readFile, (cfg) => [...connectionProblems(cfg), ...topicCollisions(cfg.kafkaTopicTemplate, cfg.scyllaTables)]);
}
