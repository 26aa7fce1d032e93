/**
 * The warm-up at assignment (table-warm-up.ts): an assigned topic's target table exists before its
 * first record, from the schemas registered for the topic, also when they are registered after the
 * assignment; and concurrent resolutions of one table (the warm-up and the first batches of several
 * flush lanes) run its DDL once (table-manager.ts).
 */
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RegistryHttp } from '../../../src/clients/registry.js';
import { createLogger } from '../../../src/log/logger.js';
import { SchemaCache } from '../../../src/sink/core/decode-record.js';
import { SchemaFetcher } from '../../../src/sink/schema-fetcher.js';
import { TableManager } from '../../../src/sink/table-manager.js';
import { TableWarmUp } from '../../../src/sink/table-warm-up.js';
import { keySchema, valueSchema, type TableSpec } from '../../fixtures/sink/envelope.js';
import { PG_URL, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { closeProducer, createTopic, pgPool, produce, randomName, register, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('warm_up');
const log = createLogger('warm-up-test', 'silent');
const tableExists = async (table: string) => (await pgPool.query(`SELECT to_regclass($1) AS t`, [`"${schema}"."${table}"`])).rows[0]?.t !== null;

describe('table warm-up', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('creates an assigned topic’s table before its first record', async () => {
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const group = randomName('g');
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group });
    await sink.started;
    try {
      // Nothing is produced: only the warm-up can have made it.
      await waitFor('the table made at assignment', () => tableExists(fx.spec.table));
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { v: { value: 'a' } }, tsUs: 1 })]);
      await waitFor('the record applied', async () => (await storedOffset(schema, group, fx.topic)) === 1n);
      expect((await pgPool.query(`SELECT v FROM "${schema}"."${fx.spec.table}"`)).rows).toEqual([{ v: 'a' }]);
    } finally {
      await sink.proc.stop();
    }
  });

  it('looks again for a topic whose schemas were registered after its assignment', async () => {
    const spec: TableSpec = { keyspace: 'ks', table: randomName('t'), key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] };
    const topic = `cdc.sinktest.${spec.table}`;
    await createTopic(topic);
    const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
    const tables = new TableManager(pool, schema, { autoCreate: true, autoEvolve: true }, log);
    await tables.init();
    const fetcher = new SchemaFetcher(new RegistryHttp({ schemaRegistryUrl: SCHEMA_REGISTRY_URL }));
    const looks = vi.spyOn(fetcher, 'latest');
    const warmUp = new TableWarmUp(fetcher, tables, pool, { sinkFlushConcurrency: 2, kafkaTopicTemplate: '{table}' }, log, () => true, 100);
    try {
      warmUp.start([topic]);
      await waitFor('a first look that found nothing', async () => looks.mock.calls.length >= 2);
      await register(`${topic}-key`, keySchema(spec));
      await register(`${topic}-value`, valueSchema(spec));
      await warmUp.idle();
      expect(await tableExists(spec.table)).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('runs the DDL of a table once when several batches resolve it at the same time', async () => {
    const spec = (table: string): TableSpec => ({ keyspace: 'ks', table, key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const texts = new Map<number, string>();
    const shapeOf = (s: TableSpec, base: number) => {
      texts.set(base, JSON.stringify(keySchema(s)));
      texts.set(base + 1, JSON.stringify(valueSchema(s)));
      return new SchemaCache((id) => texts.get(id)).shape(base, base + 1).shape;
    };
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    // Every statement of the TableManager takes a connection (pool.query connects too).
    const connect = vi.spyOn(pool, 'connect');
    const tables = new TableManager(pool, schema, { autoCreate: true, autoEvolve: true }, log);
    try {
      await tables.init();
      const one = spec(randomName('t'));
      connect.mockClear();
      await tables.target(one.table, shapeOf(one, 1), { topic: `x.${one.table}` });
      const ofOne = connect.mock.calls.length; // statements and DDL transactions of one resolution
      const many = spec(randomName('t'));
      const shape = shapeOf(many, 3);
      connect.mockClear();
      const targets = await Promise.all([1, 2, 3].map(() => tables.target(many.table, shape, { topic: `x.${many.table}` })));
      expect(connect.mock.calls.length).toBe(ofOne);
      expect(new Set(targets).size).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
