/**
 * Stored offsets that no longer fit their topic (issue: never skip data silently):
 * (a) a topic deleted and recreated (new topic id, and a log shorter than the stored offset);
 * (b) records removed by deleteRecords before the sink read them: gap counted, /readyz 503 until
 *     `offsets ack`;
 * (c) SINK_OFFSET_RESET=fail holds only the affected partition until acknowledged.
 * Real Kafka, registry and PostgreSQL; the verdicts are row counts in PostgreSQL and stored offsets.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../../src/metrics/prom-registry.js';
import { freePort } from '../../helpers/free-port.js';
import { PG_URL, SCHEMA_REGISTRY_URL, KAFKA_BROKERS } from '../../helpers/stack-env.js';
import { closeProducer, kafka, pgPool, produce, query, randomName, readyz, startSink, storedOffset, topicFixture, waitFor, type TopicFixture } from './sink-harness.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);
const T0 = 1_700_000_000_000_000;

afterAll(async () => {
  await closeProducer();
  await pgPool.end();
});

async function offsetsAck(schema: string, group: string, extra: string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', MAIN, 'offsets', 'ack', ...extra], {
    env: { PATH: process.env.PATH ?? '', PG_URL, PG_SCHEMA: schema, SINK_GROUP_ID: group, SCHEMA_REGISTRY_URL, KAFKA_BROKERS: KAFKA_BROKERS.join(',') },
    timeout: 60_000,
  });
  return stdout;
}

function rows(fx: TopicFixture, ids: number[], partition = 0) {
  return ids.map((id) => ({ ...fx.encode({ op: 'c', key: { id }, after: { v: { value: `v${id}` } }, tsUs: T0 + id }), partition }));
}

async function count(schema: string, table: string): Promise<number> {
  return Number((await query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}"."${table}"`))[0]!.n);
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values ?? []).find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val));
  return v ? Number(v.value) : 0;
}

async function recreateTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    await waitFor('topic gone', async () => !(await admin.listTopics()).includes(topic));
    // The broker may refuse a create while the deletion finishes: retry until it takes.
    await waitFor('topic recreated', async () =>
      createTopicsAndWait(admin, [{ topic, numPartitions: partitions }]).then(
        (created) => created,
        () => false,
      ),
    );
  } finally {
    await admin.disconnect();
  }
}

async function deleteRecordsBefore(topic: string, partition: number, offset: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs needs it loaded for deleteTopicRecords
    await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: String(offset) }] });
  } finally {
    await admin.disconnect();
  }
}

const columns = { key: [{ name: 'id', type: 'int' as const }], columns: [{ name: 'v', type: 'string' as const }] };

describe('stored offsets that no longer fit the log', () => {
  it('(a) a recreated topic is read from its start: by topic id when the new log is longer, by offsets when shorter', async () => {
    const schema = randomName('ofr_a');
    const group = randomName('g');
    const fx = await topicFixture(columns);
    const env = { SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1' };
    try {
      await produce(
        fx.topic,
        rows(
          fx,
          Array.from({ length: 30 }, (_, i) => i),
        ),
      );
      let sink = startSink(env);
      await sink.started;
      await waitFor('first topic applied', async () => (await storedOffset(schema, group, fx.topic)) === 30n);
      await sink.proc.stop();

      // Recreated with MORE records than the stored offset: only the topic id can tell.
      await recreateTopic(fx.topic, 1);
      await produce(
        fx.topic,
        rows(
          fx,
          Array.from({ length: 40 }, (_, i) => 100 + i),
        ),
      );
      sink = startSink(env);
      await sink.started;
      await waitFor('every record of the new topic applied', async () => (await storedOffset(schema, group, fx.topic)) === 40n, 60_000);
      await sink.proc.stop();
      expect(await count(schema, fx.spec.table)).toBe(70);
      const byId = await query<{ reason: string; action: string; stored_offset: string; log_end: string; stored_topic_id: string | null; topic_id: string | null }>(
        `SELECT reason, action, stored_offset::text, log_end::text, stored_topic_id, topic_id FROM "${schema}"._cdc_offset_resets ORDER BY id`,
      );
      expect(byId).toHaveLength(1);
      expect(byId[0]).toMatchObject({ reason: 'topic-recreated', action: 'reset-earliest', stored_offset: '30', log_end: '40' });
      expect(byId[0]!.stored_topic_id).not.toBeNull();
      expect(byId[0]!.topic_id).not.toBe(byId[0]!.stored_topic_id);
      expect(await metricValue('cdc_sink_offset_resets_total', { topic: fx.topic, partition: '0', reason: 'topic-recreated' })).toBe(1);

      // Recreated with FEWER records than the stored offset (40): the log end tells.
      await recreateTopic(fx.topic, 1);
      await produce(
        fx.topic,
        rows(
          fx,
          Array.from({ length: 5 }, (_, i) => 200 + i),
        ),
      );
      sink = startSink(env);
      await sink.started;
      await waitFor('the short new topic applied', async () => (await storedOffset(schema, group, fx.topic)) === 5n, 60_000);
      expect(await count(schema, fx.spec.table)).toBe(75);
      expect(await metricValue('cdc_sink_offset_resets_total', { topic: fx.topic, partition: '0', reason: 'topic-recreated' })).toBe(2);
      // A recreated topic is reported, not an open problem: the sink stays ready.
      expect((await readyz(sink.proc.metricsPort()!)).status).toBe(200);
      await sink.proc.stop();
    } finally {
      await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }, 240_000); // the waits inside add up past the default 120 s

  it('(b) records removed before they were read: later records applied, the gap counted, not ready until acknowledged', async () => {
    const schema = randomName('ofr_b');
    const group = randomName('g');
    const fx = await topicFixture(columns);
    const env = { SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1' };
    try {
      await produce(
        fx.topic,
        rows(
          fx,
          Array.from({ length: 20 }, (_, i) => i),
        ),
      );
      let sink = startSink(env);
      await sink.started;
      await waitFor('applied', async () => (await storedOffset(schema, group, fx.topic)) === 20n);
      await sink.proc.stop();
      await produce(
        fx.topic,
        rows(
          fx,
          Array.from({ length: 30 }, (_, i) => 20 + i),
        ),
      ); // offsets 20..49, never read
      await deleteRecordsBefore(fx.topic, 0, 40); // 20..39 removed unread
      await produce(
        fx.topic,
        rows(
          fx,
          Array.from({ length: 10 }, (_, i) => 50 + i),
        ),
      ); // 50..59

      sink = startSink(env);
      await sink.started;
      await waitFor('records after the gap applied', async () => (await storedOffset(schema, group, fx.topic)) === 60n, 60_000);
      const ids = (await query<{ id: number }>(`SELECT id FROM "${schema}"."${fx.spec.table}" ORDER BY id`)).map((r) => r.id);
      expect(ids).toEqual([...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 40 + i)]);
      const gaps = await query<{ reason: string; lost_offsets: string; stored_offset: string; log_start: string }>(
        `SELECT reason, lost_offsets::text, stored_offset::text, log_start::text FROM "${schema}"._cdc_offset_resets`,
      );
      expect(gaps).toEqual([{ reason: 'retention-gap', lost_offsets: '20', stored_offset: '20', log_start: '40' }]);
      expect(await metricValue('cdc_sink_offsets_lost_total', { topic: fx.topic, partition: '0' })).toBe(20);

      const port = sink.proc.metricsPort()!;
      const before = await readyz(port);
      expect(before.status).toBe(503);
      expect(before.body.reasons?.join('\n')).toMatch(/retention-gap.*20 offsets/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200); // working, just degraded

      // A restart does not make the gap look healthy.
      await sink.proc.stop();
      sink = startSink(env);
      await sink.started;
      const port2 = sink.proc.metricsPort()!;
      await waitFor('still not ready after a restart', async () => (await readyz(port2)).status === 503);

      expect(await offsetsAck(schema, group)).toMatch(/acknowledged .*retention-gap/);
      await waitFor('ready once acknowledged', async () => (await readyz(port2)).status === 200, 30_000);
      await sink.proc.stop();
    } finally {
      await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }, 240_000); // the waits inside add up past the default 120 s

  it('(c) SINK_OFFSET_RESET=fail holds only the partition whose offset no longer fits, until acknowledged', async () => {
    const schema = randomName('ofr_c');
    const group = randomName('g');
    const fx = await topicFixture(columns, 2);
    const env = { SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_OFFSET_RESET: 'fail', METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1' };
    try {
      await produce(fx.topic, [...rows(fx, [0, 1, 2, 3, 4], 0), ...rows(fx, [10, 11, 12, 13, 14], 1)]);
      let sink = startSink(env);
      await sink.started;
      await waitFor('both partitions applied', async () => (await storedOffset(schema, group, fx.topic, 0)) === 5n && (await storedOffset(schema, group, fx.topic, 1)) === 5n);
      await sink.proc.stop();
      await produce(fx.topic, [...rows(fx, [5, 6, 7], 0), ...rows(fx, [15, 16, 17], 1)]);
      await deleteRecordsBefore(fx.topic, 0, 7); // partition 0: 5 and 6 removed unread
      sink = startSink(env);
      await sink.started;
      const port = sink.proc.metricsPort()!;
      await waitFor('partition 1 goes on', async () => (await storedOffset(schema, group, fx.topic, 1)) === 8n, 60_000);
      const held = await readyz(port);
      expect(held.status).toBe(503);
      expect(held.body.reasons?.join('\n')).toMatch(/\/0: retention-gap \(partition held\)/);
      expect(await storedOffset(schema, group, fx.topic, 0)).toBe(5n); // nothing read from partition 0
      expect((await query(`SELECT 1 FROM "${schema}"."${fx.spec.table}" WHERE id = 7`)).length).toBe(0);

      expect(await offsetsAck(schema, group, ['--topic', fx.topic, '--partition', '0'])).toMatch(/acknowledged .*\/0 retention-gap \(held partition/);
      await waitFor('partition 0 read from its log start once acknowledged', async () => (await storedOffset(schema, group, fx.topic, 0)) === 8n, 120_000); // a re-join: generous on a loaded box
      expect((await query(`SELECT 1 FROM "${schema}"."${fx.spec.table}" WHERE id = 7`)).length).toBe(1);
      await waitFor('ready again', async () => (await readyz(port)).status === 200, 30_000);
      await sink.proc.stop();
    } finally {
      await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }, 300_000); // the waits inside add up past the default 120 s
});
