/**
 * `dlq list` decodes what the sink dead-letters; `dlq replay` re-produces each selected record to
 * its original topic exactly once, even when run twice.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlqHeaders } from '../../../src/sink/core/dlq-headers.js';
import { readTopicToEnd } from '../../../src/clients/topic-reader.js';
import { KAFKA_BROKERS, randomName, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const kafka = new Kafka({ clientId: 'dlq-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
const dlqTopic = randomName('dlq');
const dataTopic = randomName('cdc.scylla.poison');
const DEAD_LETTERED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

function cli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'dlq', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', SCHEMA_REGISTRY_URL, DLQ_TOPIC: dlqTopic, SINK_GROUP_ID: randomName('grp'), ...env },
    timeout: 90_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

async function adminDo(fn: (admin: Admin) => Promise<unknown>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await adminDo((a) =>
    createTopicsAndWait(a, [
      { topic: dlqTopic, numPartitions: 1 },
      { topic: dataTopic, numPartitions: 2 },
    ]),
  );
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
      headers: {
        traceparent: 'abc',
        ...dlqHeaders(
          { ref: { topic: dataTopic, partition: 1, offset: f.offset }, reason: f.reason, stage: f.stage, errorClass: 'Error', message: `failed ${f.key}` },
          'test',
          DEAD_LETTERED_AT,
        ),
      },
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

  it('lists for people: a count line, then time, origin, stage/reason, key and error per record; --limit keeps the last', () => {
    const r = cli(['list', '--limit', '1']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`2 record(s) in ${dlqTopic}; showing 1\n2026-01-02T03:04:05.000Z  ${dataTopic}[1]@9  TASK_PUT/constraint-violation  key=0x6b32\n    Error: failed k2\n`);
  });

  it('filters by key as shown, by message and by original topic', () => {
    const offsets = (args: string[]) => (JSON.parse(cli(['list', '--json', ...args]).out) as { offset: string }[]).map((e) => e.offset);
    expect(offsets(['--filter', 'key~6b31'])).toEqual(['7']);
    expect(offsets(['--filter', 'message~failed', '--filter', 'stage=VALUE_CONVERTER'])).toEqual(['7']);
    expect(offsets(['--topic', dataTopic])).toEqual(['7', '9']);
    expect(offsets(['--topic', `${dataTopic}.other`])).toEqual([]);
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

  it('a malformed --filter is exit 2 before anything is read', () => {
    // No broker answers on port 1: reaching Kafka would hang or fail differently.
    for (const f of ['offset>=abc', 'reason>=x', 'partition=one', 'bogus=1', 'key~']) {
      const r = cli(['list', '--filter', f], { KAFKA_BROKERS: '127.0.0.1:1' });
      expect([r.code, r.err]).toEqual([2, expect.stringContaining(`bad --filter "${f}"`)]);
    }
  });

  it('replays only to topics the sink consumes, or to an explicit --to', async () => {
    // A copy of the dead letters in a DLQ of its own: the ledger of the test above has them replayed.
    const other = randomName('cdc.scylla.elsewhere');
    const dlq2 = randomName('dlq2');
    await adminDo((a) =>
      createTopicsAndWait(a, [
        { topic: other, numPartitions: 1 },
        { topic: dlq2, numPartitions: 1 },
      ]),
    );
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: dlq2, messages: (await readTopicToEnd(kafka, dlqTopic)).map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
    await producer.disconnect();
    const env = { SINK_TOPICS: '^nomatch\\..+', DLQ_TOPIC: dlq2 };
    const refused = cli(['replay', '--dry-run', '--filter', 'offset<=7'], env);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`refused ${dataTopic}[1]@7: ${dataTopic} is not a topic the sink consumes`);
    expect(refused.out).toContain('0 record(s) to replay, 1 refused');
    const before = (await readTopicToEnd(kafka, dataTopic)).length;
    const to = cli(['replay', '--to', other], env);
    expect(to.code, to.err).toBe(0);
    expect((await readTopicToEnd(kafka, other)).map((m) => m.key?.toString()).sort()).toEqual(['k1', 'k2']);
    expect((await readTopicToEnd(kafka, dataTopic)).length).toBe(before);
    expect(cli(['replay', '--to', dlq2], env).code).toBe(2);
    await adminDo((a) => a.deleteTopics({ topics: [other, dlq2, `${dlq2}.replayed`] })).catch(() => undefined);
  });
});
