/**
 * Log reads of units whose streams have the same replicas share one query (SOURCE_STREAMS_PER_QUERY,
 * default 100): on one emulated host every unit has the same replica, so a slot's window is one
 * query naming all its streams; with SOURCE_STREAMS_PER_QUERY=1 it is one query per unit (a vnode's
 * shard streams). Either way every change reaches Kafka exactly once: grouped rows go back to
 * their own units.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { emulator, readTopic, sourceConfig, uniqueKs } from './harness.js';

const VNODES = 8;
const SHARDS = 2;
const SLOTS = 2;

async function run(streamsPerQuery: string | undefined): Promise<{ streamsPerRead: number[]; ids: number[] }> {
  const { emu, cql } = await emulator({ vnodes: VNODES, shards: SHARDS });
  onTestFinished(async () => {
    await cql.shutdown();
    await emu.close();
  });
  const ks = uniqueKs();
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
  await cql.execute(`CREATE TABLE ${ks}.g (id int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
  const reads = emu.traceReads((k, t) => k === ks && t.endsWith('_scylla_cdc_log'));
  const cfg = sourceConfig(emu, [`${ks}.g`], { SOURCE_SLOTS: String(SLOTS), ...(streamsPerQuery ? { SOURCE_STREAMS_PER_QUERY: streamsPerQuery } : {}) });
  const svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
  onTestFinished(() => svc.stop()); // runs before the emulator's close (reverse order)
  await svc.start();
  for (let id = 0; id < 60; id++) await cql.execute(`INSERT INTO ${ks}.g (id, v) VALUES (${id}, ${id})`);
  const recs = await readTopic(topicFor(cfg.kafkaTopicTemplate, ks, 'g'), (r) => r.length >= 60);
  return { streamsPerRead: reads.map((r) => r.tokens.length), ids: recs.map((r) => Number(r.key.id)).sort((a, b) => a - b) };
}

describe('log queries per window', () => {
  it("default: one query per slot and window, naming all the slot's streams; every change once", async () => {
    const { streamsPerRead, ids } = await run(undefined);
    expect(new Set(streamsPerRead)).toEqual(new Set([(VNODES / SLOTS) * SHARDS]));
    expect(ids).toEqual([...Array(60).keys()]);
  });

  it('SOURCE_STREAMS_PER_QUERY=1: one query per unit (its shard streams); every change once', async () => {
    const { streamsPerRead, ids } = await run('1');
    expect(new Set(streamsPerRead)).toEqual(new Set([SHARDS]));
    expect(ids).toEqual([...Array(60).keys()]);
  });
});
