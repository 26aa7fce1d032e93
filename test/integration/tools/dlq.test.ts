/**
 * `dlq list` decodes what the sink dead-letters; `dlq replay` re-produces each selected record to
 * its original topic exactly once, even when run twice.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlqHeaders } from '../../../src/sink/core/dlq-headers.js';
import { readTopicToEnd } from '../../../src/tools/topic-reader.js';
import { KAFKA_BROKERS, randomName, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const kafka = new Kafka({ clientId: 'dlq-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
const dlqTopic = randomName('dlq');
const dataTopic = randomName('cdc.scylla.poison');

function cli(args: string[]) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'dlq', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', SCHEMA_REGISTRY_URL, DLQ_TOPIC: dlqTopic, SINK_GROUP_ID: randomName('grp') },
    timeout: 90_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: dlqTopic, numPartitions: 1 }, { topic: dataTopic, numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const failures = [
    { offset: '7', reason: 'bad-magic-byte' as const, stage: 'VALUE_CONVERTER' as const, key: 'k1' },
    { offset: '9', reason: 'constraint-violation' as const, stage: 'TASK_PUT' as const, key: 'k2' },
  ];
  await producer.send({
    topic: dlqTopic,
    messages: failures.map((f) => ({
      key: Buffer.from(f.key),
      value: Buffer.from(`value-of-${f.key}`),
      headers: { traceparent: 'abc', ...dlqHeaders({ ref: { topic: dataTopic, partition: 1, offset: f.offset }, reason: f.reason, stage: f.stage, errorClass: 'Error', message: `failed ${f.key}` }, 'test', Date.now()) },
    })),
  });
  await producer.disconnect();
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [dlqTopic, dataTopic, `${dlqTopic}.replayed`] }).catch(() => undefined);
  await admin.disconnect();
});

describe('scylla-pg-cdc dlq', () => {
  it('lists dead-lettered records decoded for people', () => {
    const r = cli(['list', '--json']);
    expect(r.code, r.err).toBe(0);
    const entries = JSON.parse(r.out) as { topic: string; partition: number; offset: string; reason: string; stage: string; message: string }[];
    expect(entries.map((e) => [e.topic, e.partition, e.offset, e.reason, e.stage, e.message])).toEqual([
      [dataTopic, 1, '7', 'bad-magic-byte', 'VALUE_CONVERTER', 'failed k1'],
      [dataTopic, 1, '9', 'constraint-violation', 'TASK_PUT', 'failed k2'],
    ]);
    const filtered = JSON.parse(cli(['list', '--json', '--filter', 'reason=constraint-violation']).out) as unknown[];
    expect(filtered).toHaveLength(1);
  });

  it('replays a filtered record once, into its original partition, even when run twice', async () => {
    const dry = cli(['replay', '--filter', 'offset>=9', '--dry-run']);
    expect(dry.out).toContain('1 record(s) to replay');
    expect((await readTopicToEnd(kafka, dataTopic)).length).toBe(0);

    expect(cli(['replay', '--filter', 'offset>=9']).code).toBe(0);
    const second = cli(['replay', '--filter', 'offset>=9']);
    expect(second.out).toContain('0 record(s) to replay');
    const all = cli(['replay']);
    expect(all.out).toContain('1 record(s) to replay');

    const replayed = await readTopicToEnd(kafka, dataTopic);
    expect(replayed.map((m) => [m.partition, m.key?.toString(), m.value?.toString(), m.headers?.traceparent?.toString()])).toEqual([
      [1, 'k2', 'value-of-k2', 'abc'],
      [1, 'k1', 'value-of-k1', 'abc'],
    ]);
  });
});
