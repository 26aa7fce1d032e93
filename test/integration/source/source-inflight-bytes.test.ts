/**
 * SOURCE_MAX_INFLIGHT_BYTES: a window read page by page is cut into smaller transactions once the
 * process holds more uncommitted record bytes than the limit, and every change still reaches
 * Kafka exactly once. 1,200 changes of ~300 bytes, already in the log when the source starts, are
 * one window of one slot; with SOURCE_MAX_BATCH_RECORDS 5,000 and 100-row pages that is one
 * transaction without the limit, and one per 64 KiB or so at that minimum (the check is made
 * before each page: 6 transactions of about two pages each when written). Pages count in the same
 * bound by their size on the wire, which the source's driver client reports for each request.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { sourceTransactions } from '../../../src/metrics/source-metrics.js';
import { responseBytesOf } from '../../../src/source/response-bytes.js';
import { createScyllaClient } from '../../../src/source/scylla-session.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { emulator, readTopic, sourceConfig, uniqueKs } from './harness.js';

const N = 1_200;

async function committed(): Promise<number> {
  const m = await sourceTransactions.get();
  return m.values.filter((v) => v.labels.outcome === 'committed').reduce((n, v) => n + v.value, 0);
}

async function run(maxInflight: string | undefined): Promise<{ ids: number[]; transactions: number }> {
  const { emu, cql } = await emulator({ vnodes: 1, shards: 1 });
  onTestFinished(async () => {
    await cql.shutdown();
    await emu.close();
  });
  const ks = uniqueKs();
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
  await cql.execute(`CREATE TABLE ${ks}.b (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
  const pad = 'x'.repeat(250);
  for (let id = 0; id < N; id++) await cql.execute(`INSERT INTO ${ks}.b (id, v) VALUES (${id}, '${pad}')`);
  await new Promise((r) => setTimeout(r, 700)); // past the confidence window: one window holds them all
  const cfg = sourceConfig(emu, [`${ks}.b`], {
    SOURCE_SLOTS: '1',
    CDC_FETCH_SIZE: '100',
    SOURCE_MAX_BATCH_RECORDS: '5000',
    CDC_START: 'earliest',
    SOURCE_CHECKPOINT_INTERVAL_MS: '600000', // no heartbeat transactions in the count
    ...(maxInflight ? { SOURCE_MAX_INFLIGHT_BYTES: maxInflight } : {}),
  });
  const before = await committed();
  const svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
  onTestFinished(() => svc.stop());
  await svc.start();
  const recs = await readTopic(topicFor(cfg.kafkaTopicTemplate, ks, 'b'), (r) => r.length >= N);
  return { ids: recs.map((r) => Number(r.key.id)).sort((a, b) => a - b), transactions: (await committed()) - before };
}

describe('SOURCE_MAX_INFLIGHT_BYTES', () => {
  it('unbounded: the window is one transaction; every change once', async () => {
    const { ids, transactions } = await run(undefined);
    expect(ids).toEqual([...Array(N).keys()]);
    expect(transactions).toBeLessThanOrEqual(2);
  });

  it('at 64 KiB: the window is cut into several transactions; every change once', async () => {
    const { ids, transactions } = await run('65536');
    expect(ids).toEqual([...Array(N).keys()]);
    expect(transactions).toBeGreaterThanOrEqual(4);
  });

  it("the source's client learns each page's size on the wire, per request", async () => {
    const { emu, cql } = await emulator({ vnodes: 1, shards: 1 });
    const ks = uniqueKs();
    await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
    await cql.execute(`CREATE TABLE ${ks}.p (id int PRIMARY KEY, v text)`);
    for (let id = 0; id < 50; id++) await cql.execute(`INSERT INTO ${ks}.p (id, v) VALUES (${id}, '${'x'.repeat(100)}')`);
    const { client } = createScyllaClient(sourceConfig(emu, [`${ks}.p`]));
    onTestFinished(async () => {
      await client.shutdown();
      await cql.shutdown();
      await emu.close();
    });
    const sizes = responseBytesOf(client);
    const small = { prepare: true, fetchSize: 5 };
    const large = { prepare: true, fetchSize: 50 };
    await client.execute(`SELECT * FROM ${ks}.p`, [], small);
    await client.execute(`SELECT * FROM ${ks}.p`, [], large);
    const [s, l] = [sizes.take(small), sizes.take(large)];
    expect(s).toBeGreaterThan(5 * 100);
    expect(l).toBeGreaterThan(50 * 100);
    expect(sizes.take(large)).toBe(0); // taken once
  });
});
