/**
 * SOURCE_SLOTS is fixed per SOURCE_NAME: checkpoints are kept per slot (one offsets partition
 * each) and units are dealt to slots by the slot count, so a restart with another count would
 * resume tables from other slots' positions. The source refuses it at start (exit 2), naming
 * SOURCE_SLOTS, the count the deployment's topics have and what to do; the same count starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService } from '../../../src/source/source-service.js';
import { offsetsTopicName } from '../../../src/source/checkpoint-store.js';
import { controlTopicName } from '../../../src/source/slot-coordinator.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { runCli } from '../../helpers/cli.js';
import { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { emulatorWithKeyspaces, kafkaClient, randomName, sourceConfig, uniqueKs } from './harness.js';

let emu: EmulatorHandle;
let cql: cassandra.Client;
const ks = uniqueKs();

beforeAll(async () => {
  ({ emu, cql } = await emulatorWithKeyspaces(ks));
  await cql.execute(`CREATE TABLE ${ks}.t (id int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
});

afterAll(async () => {
  await cql?.shutdown();
  await emu?.close();
});

async function partitions(topic: string): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.length;
  } finally {
    await admin.disconnect();
  }
}

describe('SOURCE_SLOTS on an existing deployment', () => {
  it('a different value is refused with exit 2; the original value starts', async () => {
    const name = randomName('slots');
    const template = `${randomName('t')}.{keyspace}.{table}`;
    const overrides = { SOURCE_NAME: name, KAFKA_TOPIC_TEMPLATE: template, SOURCE_SLOTS: '4' };
    const first = sourceConfig(emu, [`${ks}.t`], overrides);
    const svc = new SourceService(first, createLogger('source', first.logLevel));
    await svc.start();
    await svc.stop();
    expect(await partitions(offsetsTopicName(name))).toBe(4);

    const env = {
      SCYLLA_CONTACT_POINTS: emu.contactPoint,
      SCYLLA_TABLES: `${ks}.t`,
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL,
      METRICS_PORT: '0',
      SNAPSHOT_MODE: 'never',
      SOURCE_NAME: name,
      KAFKA_TOPIC_TEMPLATE: template,
      SOURCE_SLOTS: '6',
    };
    const refused = await runCli(['source'], env, 90_000);
    expect(refused.code).toBe(2);
    // Found after connecting (the topics' partition counts), so it is the fatal start-up log line.
    const said = refused.out + refused.err;
    expect(said).toContain(`SOURCE_SLOTS=6, but ${offsetsTopicName(name)} has 4 partitions`);
    expect(said).toContain(`SOURCE_SLOTS=6, but ${controlTopicName(name)} has 4 partitions`);
    expect(said).toContain('Set SOURCE_SLOTS=4 again, or start a new deployment under another SOURCE_NAME');
    // Nothing was changed by the refused start.
    expect(await partitions(offsetsTopicName(name))).toBe(4);
    expect(await partitions(controlTopicName(name))).toBe(4);

    const again = new SourceService(first, createLogger('source', first.logLevel));
    await again.start();
    try {
      expect(again.status()).toMatchObject({ slots: { total: 4 } });
    } finally {
      await again.stop();
    }
  });
});
