/**
 * SCYLLA_EXCLUDE_COLUMNS on the emulator + real Kafka + Apicurio: an excluded column appears in no
 * record (streamed inserts, an update touching it and another column, the pre-image) and in no registered schema; a change
 * touching it next to another column still carries the other. Excluding a key column is refused
 * (exit 2, naming the variable).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { runCli } from '../../helpers/cli.js';
import { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { emulatorWithKeyspaces, readTopic, sourceConfig, uniqueKs } from './harness.js';

let emu: EmulatorHandle;
let cql: cassandra.Client;
const ks = uniqueKs();

beforeAll(async () => {
  ({ emu, cql } = await emulatorWithKeyspaces(ks));
  await cql.execute(`CREATE TABLE ${ks}.people (id int PRIMARY KEY, name text, ssn text) WITH cdc = {'enabled': true, 'preimage': true}`);
  await cql.execute(`INSERT INTO ${ks}.people (id, name, ssn) VALUES (1, 'before', '111-11-1111')`);
});

afterAll(async () => {
  await cql?.shutdown();
  await emu?.close();
});

describe('SCYLLA_EXCLUDE_COLUMNS', () => {
  it('an excluded column never reaches Kafka or the registry', async () => {
    const cfg = sourceConfig(emu, [`${ks}.people`], { SCYLLA_EXCLUDE_COLUMNS: `${ks}.people.ssn`, CDC_START: 'earliest' });
    const svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
    await svc.start();
    try {
      await cql.execute(`INSERT INTO ${ks}.people (id, name, ssn) VALUES (2, 'two', '222-22-2222')`);
      await cql.execute(`UPDATE ${ks}.people SET name = 'uno', ssn = '999-99-9999' WHERE id = 1`);
      const topic = topicFor(cfg.kafkaTopicTemplate, ks, 'people');
      const recs = await readTopic(topic, (r) => r.length >= 3);
      const name = (img: unknown) => (img as Record<string, { value: unknown } | null> | null)?.name?.value;
      expect(recs.map((r) => [r.value.op, r.key.id, name(r.value.after), name(r.value.before)]).sort()).toEqual([
        ['c', 1, 'before', undefined],
        ['c', 2, 'two', undefined],
        ['u', 1, 'uno', 'before'], // the pre-image carries name, not ssn
      ]);
      const text = JSON.stringify(recs.map((r) => r.value));
      expect(text).not.toContain('ssn');
      expect(text).not.toMatch(/\d{3}-\d{2}-\d{4}/);
      const schema = (await (await fetch(`${SCHEMA_REGISTRY_URL}/subjects/${topic}-value/versions/latest`)).json()) as { schema: string };
      expect(schema.schema).toContain('"name"');
      expect(schema.schema).not.toContain('ssn');
    } finally {
      await svc.stop();
    }
  });

  it('refuses to exclude a key column (exit 2, naming the variable)', async () => {
    const r = await runCli(
      ['source'],
      {
        SCYLLA_CONTACT_POINTS: emu.contactPoint,
        SCYLLA_CONSISTENCY: 'ONE',
        SCYLLA_TABLES: `${ks}.people`,
        SCYLLA_EXCLUDE_COLUMNS: `*.people.id`,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        SCHEMA_REGISTRY_URL,
        METRICS_PORT: '0',
      },
      60_000,
    );
    expect(r.code).toBe(2);
    expect(r.out + r.err).toContain(`SCYLLA_EXCLUDE_COLUMNS: *.people.id names a primary key column of ${ks}.people`);
  });
});
