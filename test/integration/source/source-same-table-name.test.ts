/**
 * Two tables of the same name in different keyspaces must never merge silently. Under a topic
 * template without {keyspace} (the default `cdc.scylla.{table}`) they would share one topic and one
 * target table: the source refuses to start (exit 2, naming the variable). With {keyspace} they go
 * to separate topics, each carrying only its own keyspace's changes.
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
const ks1 = uniqueKs();
const ks2 = uniqueKs();

beforeAll(async () => {
  ({ emu, cql } = await emulatorWithKeyspaces(ks1, ks2));
  for (const ks of [ks1, ks2]) {
    await cql.execute(`CREATE TABLE ${ks}.users (id int PRIMARY KEY, name text) WITH cdc = {'enabled': true}`);
  }
});

afterAll(async () => {
  await cql?.shutdown();
  await emu?.close();
});

describe('tables of the same name in two keyspaces', () => {
  it('the source refuses a topic template that would merge them (exit 2, naming the variable)', async () => {
    const env = {
      SCYLLA_CONTACT_POINTS: emu.contactPoint,
      SCYLLA_TABLES: `${ks1}.users,${ks2}.Users`,
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL,
      METRICS_PORT: '0',
    };
    const refused = await runCli(['source'], env, 60_000);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`KAFKA_TOPIC_TEMPLATE: ${ks1}.users and ${ks2}.users (SCYLLA_TABLES) would share topic cdc.scylla.users`);
    // Another template without {keyspace} that still merges them is refused too.
    const other = await runCli(['source'], { ...env, KAFKA_TOPIC_TEMPLATE: 'cdc.prod.{table}' }, 60_000);
    expect(other.code).toBe(2);
    expect(other.err).toContain('would share topic cdc.prod.users');
  });

  it('with {keyspace} in the template each table has its own topic', async () => {
    const cfg = sourceConfig(emu, [`${ks1}.users`, `${ks2}.users`]);
    const svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
    await svc.start();
    try {
      await cql.execute(`INSERT INTO ${ks1}.users (id, name) VALUES (1, 'one')`);
      await cql.execute(`INSERT INTO ${ks2}.users (id, name) VALUES (2, 'two')`);
      for (const [ks, id] of [
        [ks1, 1],
        [ks2, 2],
      ] as const) {
        const recs = await readTopic(topicFor(cfg.kafkaTopicTemplate, ks, 'users'), (r) => r.length >= 1);
        expect(recs.map((r) => [r.value.source.keyspace_name, r.key.id])).toEqual([[ks, id]]);
      }
    } finally {
      await svc.stop();
    }
  });
});
