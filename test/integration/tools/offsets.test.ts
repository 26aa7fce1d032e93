/** Offsets export → import round trip; import validates the file and refuses while a process runs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint, type SlotCheckpoint } from '../../../src/source/core/checkpoint.js';
import { readTopicToEnd } from '../../../src/clients/topic-reader.js';
import { KAFKA_BROKERS, PG_URL, randomName, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { createTopicsAndWait } from '../../../src/clients/create-topics.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const kafka = new Kafka({ clientId: 'offsets-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
const sourceName = randomName('src');
const schema = randomName('offsets');
const group = randomName('sinkgrp');
const topic = `_scylla-pg-cdc.${sourceName}.offsets`;
const dir = mkdtempSync(join(tmpdir(), 'offsets-'));
const db = new pg.Client({ connectionString: PG_URL });

const checkpoint = (slot: number, atMs: number): SlotCheckpoint => ({
  v: 1,
  table: 'app.users',
  slot,
  slots: 2,
  genMs: 1000,
  atMs,
  toMs: null,
  partial: {},
  snapshot: null,
  writtenAtMs: atMs,
});

function cli(args: string[]) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'offsets', ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      SCHEMA_REGISTRY_URL,
      PG_URL,
      PG_SCHEMA: schema,
      SOURCE_NAME: sourceName,
      SINK_GROUP_ID: group,
      SOURCE_STATUS_URL: 'http://127.0.0.1:39997',
      SINK_STATUS_URL: 'http://127.0.0.1:39996',
    },
    timeout: 90_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [{ topic, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      { partition: 0, key: 'app.users#0', value: encodeCheckpoint(checkpoint(0, 5000)) },
      { partition: 1, key: 'app.users#1', value: encodeCheckpoint(checkpoint(1, 6000)) },
      { partition: 0, key: 'app.users#0', value: encodeCheckpoint(checkpoint(0, 7000)) },
    ],
  });
  await producer.disconnect();
  await db.connect();
  await db.query(`CREATE SCHEMA "${schema}"`);
  await db.query(
    `CREATE TABLE "${schema}"._cdc_offsets (group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint, generation bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (group_id, topic, partition))`,
  );
  await db.query(
    `INSERT INTO "${schema}"._cdc_offsets (group_id, topic, partition, next_offset, generation) VALUES ($1, 'cdc.scylla.users', 0, 42, 3), ($1, 'cdc.scylla.users', 1, 17, 3)`,
    [group],
  );
});

afterAll(async () => {
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('scylla-pg-cdc offsets', () => {
  it('exports, and imports back after the positions were lost', async () => {
    const file = join(dir, 'offsets.json');
    const exp = cli(['export', file]);
    expect(exp.code, exp.err).toBe(0);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      source: { checkpoints: { key: string; partition: number; value: string }[] };
      sink: { offsets: { partition: number; next_offset: string }[] };
    };
    expect(saved.source.checkpoints.map((c) => [c.key, c.partition, (JSON.parse(c.value) as SlotCheckpoint).atMs])).toEqual([
      ['app.users#0', 0, 7000],
      ['app.users#1', 1, 6000],
    ]);
    expect(saved.sink.offsets.map((o) => [o.partition, o.next_offset])).toEqual([
      [0, '42'],
      [1, '17'],
    ]);

    await db.query(`UPDATE "${schema}"._cdc_offsets SET next_offset = 0`);
    const imp = cli(['import', file]);
    expect(imp.code, imp.err).toBe(0);
    const { rows } = await db.query<{ partition: number; next_offset: string; generation: string }>(
      `SELECT partition, next_offset::text, generation::text FROM "${schema}"._cdc_offsets ORDER BY partition`,
    );
    // Restored, and each ownership epoch bumped so a sink that still runs somewhere is fenced.
    expect(rows).toEqual([
      { partition: 0, next_offset: '42', generation: '4' },
      { partition: 1, next_offset: '17', generation: '4' },
    ]);
  });

  it('imports only this deployment: its source name and checkpoint topic, its group, schema and topics', async () => {
    const file = join(dir, 'offsets.json');
    expect(cli(['export', file]).code).toBe(0);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { source: { name: string; topic: string }; sink: { schema: string; offsets: { group_id: string; topic: string }[] } };
    saved.source.name = 'someone-else';
    saved.source.topic = '__consumer_offsets';
    saved.sink.schema = 'public';
    saved.sink.offsets[0]!.group_id = 'foreign-group';
    saved.sink.offsets[1]!.topic = 'not.consumed';
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, JSON.stringify(saved));
    const before = (await db.query(`SELECT * FROM "${schema}"._cdc_offsets ORDER BY partition`)).rows;
    const r = cli(['import', foreign]);
    expect(r.code).toBe(2);
    for (const p of [
      'source.name "someone-else" is not SOURCE_NAME',
      'source.topic "__consumer_offsets"',
      'sink.schema "public" is not PG_SCHEMA',
      'sink.offsets.0.group_id "foreign-group"',
      'sink.offsets.1.topic "not.consumed" is not a topic the sink consumes',
    ])
      expect(r.err).toContain(p);
    expect((await db.query(`SELECT * FROM "${schema}"._cdc_offsets ORDER BY partition`)).rows).toEqual(before);
  });

  it("restores the source checkpoints: after import the latest record per key is the file's", async () => {
    const file = join(dir, 'checkpoints.json');
    expect(cli(['export', file]).code).toBe(0);
    // The positions move on (or get lost) after the backup…
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { partition: 0, key: 'app.users#0', value: encodeCheckpoint(checkpoint(0, 99_000)) },
        { partition: 1, key: 'app.users#1', value: null },
      ],
    });
    await producer.disconnect();
    const imp = cli(['import', file]);
    expect(imp.code, imp.err).toBe(0);
    const latest = new Map<string, number>();
    for (const m of await readTopicToEnd(kafka, topic)) {
      const key = m.key!.toString();
      if (m.value === null) latest.delete(key);
      else latest.set(key, (JSON.parse(m.value.toString()) as SlotCheckpoint).atMs);
    }
    expect(Object.fromEntries(latest)).toEqual({ 'app.users#0': 7000, 'app.users#1': 6000 });
  });

  it('validates the file and names every problem', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        format: 'scylla-pg-cdc-offsets',
        version: 1,
        exportedAt: 'x',
        source: { name: 's', topic: 't', checkpoints: [{ partition: -1, key: 'k', value: '{}' }] },
        sink: { schema: 's', offsets: [{ group_id: 'g', topic: 't', partition: 0, next_offset: 'ten' }] },
      }),
    );
    const r = cli(['import', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('source.checkpoints.0.partition');
    expect(r.err).toContain('source.checkpoints.0.value: not a source checkpoint');
    expect(r.err).toContain('sink.offsets.0.next_offset');
  });

  it('refuses to import while a sink is a member of its group, unless --force', async () => {
    const file = join(dir, 'offsets.json');
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ eachMessage: async () => undefined });
    try {
      const admin = kafka.admin();
      await admin.connect();
      for (let i = 0; i < 60; i++) {
        const { groups } = await admin.describeGroups([group]);
        if ((groups[0]?.members.length ?? 0) > 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await admin.disconnect();
      const refused = cli(['import', file]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`member(s) in Kafka group ${group}`);
      expect(cli(['import', file, '--force']).code).toBe(0);
    } finally {
      await consumer.disconnect();
    }
  });

  it('records topic ids on export and refuses offsets of a recreated topic unless --force', async () => {
    const dataTopic = randomName('cdc.scylla.offsets-data'); // a topic the sink consumes (SINK_TOPICS): import accepts no other
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsAndWait(admin, [{ topic: dataTopic, numPartitions: 1 }]);
      await db.query(`INSERT INTO "${schema}"._cdc_offsets (group_id, topic, partition, next_offset, generation) VALUES ($1, $2, 0, 9, 1)`, [group, dataTopic]);
      const file = join(dir, 'ids.json');
      expect(cli(['export', file]).code).toBe(0);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { kafka: { clusterId: string | null }; sink: { offsets: { topic: string; topic_id: string | null }[] } };
      const before = saved.sink.offsets.find((o) => o.topic === dataTopic)?.topic_id;
      expect(before).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(saved.kafka.clusterId).toBeTruthy();

      await admin.deleteTopics({ topics: [dataTopic], timeout: 30_000 });
      for (let i = 0; i < 60 && (await admin.listTopics()).includes(dataTopic); i++) await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 60; i++) {
        if (
          await createTopicsAndWait(admin, [{ topic: dataTopic, numPartitions: 1 }]).then(
            (created) => created,
            () => false,
          )
        )
          break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const refused = cli(['import', file]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`${dataTopic}: exported with topic id ${before}, here it is`);
      const forced = cli(['import', file, '--force']);
      expect(forced.code, forced.err).toBe(0);
      const { rows } = await db.query<{ topic_id: string }>(`SELECT topic_id FROM "${schema}"._cdc_offsets WHERE topic = $1`, [dataTopic]);
      expect(rows[0]?.topic_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(rows[0]?.topic_id).not.toBe(before); // the offset now belongs to the new topic, as --force asserted
    } finally {
      await admin.deleteTopics({ topics: [dataTopic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
