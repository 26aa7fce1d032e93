/**
 * Generation switches under continuous writes: a vnode generation change (node added) and a
 * tablet split. Old streams are finished up to the new start, then reading switches; counting
 * per change id on the read_committed topic shows nothing lost and nothing read twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { emulator, readTopic, sourceConfig, uniqueKs, waitFor, type Decoded } from './harness.js';

let emu: EmulatorHandle | undefined;
let cql: cassandra.Client | undefined;
let svc: SourceService | undefined;

afterEach(async () => {
  await svc?.stop();
  await cql?.shutdown();
  await emu?.close();
  svc = undefined;
  cql = undefined;
  emu = undefined;
});

async function write(c: cassandra.Client, ks: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await c.execute(`INSERT INTO ${ks}.g (id, v) VALUES (?, ?)`, [i, i], { prepare: true });
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 40));
  }
}

function expectExactlyOnce(recs: Decoded[], n: number): void {
  const counts = new Map<number, number>();
  for (const r of recs) counts.set(r.key.id as number, (counts.get(r.key.id as number) ?? 0) + 1);
  const missing = [...Array(n).keys()].filter((i) => !counts.has(i));
  const dup = [...counts.entries()].filter(([, c]) => c > 1);
  expect({ missing: missing.slice(0, 20), dup: dup.slice(0, 20) }).toEqual({ missing: [], dup: [] });
}

const streamsOf = (recs: Decoded[]) => new Set(recs.map((r) => r.value.source.stream_id));

describe('generation and stream-set switches', () => {
  it('vnodes: a new generation while writing loses and duplicates nothing', async () => {
    ({ emu, cql } = await emulator({ vnodes: 4, shards: 2 }));
    const ks = uniqueKs();
    await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
    await cql.execute(`CREATE TABLE ${ks}.g (id int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
    const cfg = sourceConfig(emu, [`${ks}.g`], { SOURCE_SLOTS: '3' });
    svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
    await svc.start();
    const writing = write(cql, ks, 0, 300);
    writing.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const genAt = emu.addNode({ delayMs: 1500 });
    await writing;
    await waitFor(() => (Date.now() > genAt + 200 ? true : undefined), 10_000, 'new generation to operate');
    await write(cql, ks, 300, 400);
    const topic = topicFor(cfg.kafkaTopicTemplate, ks, 'g');
    const recs = await readTopic(topic, (r) => new Set(r.map((x) => x.key.id)).size >= 400, 45_000);
    expectExactlyOnce(recs, 400);
    const before = recs.filter((r) => (r.value.source.ts_ms as number) < genAt);
    const after = recs.filter((r) => (r.value.source.ts_ms as number) >= genAt);
    expect(after.length).toBeGreaterThan(0);
    // the new generation's streams are new: no stream carries writes on both sides of the switch
    const overlap = [...streamsOf(before)].filter((s) => streamsOf(after).has(s));
    expect(overlap).toEqual([]);
  }, 90_000);

  it('tablets: a tablet split while writing loses and duplicates nothing', async () => {
    ({ emu, cql } = await emulator({ tablets: true, initialTablets: 2 }));
    const ks = uniqueKs();
    await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'NetworkTopologyStrategy','replication_factor':1} AND tablets = {'initial': 2}`);
    await cql.execute(`CREATE TABLE ${ks}.g (id int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
    const cfg = sourceConfig(emu, [`${ks}.g`], { SOURCE_SLOTS: '2' });
    svc = new SourceService(cfg, createLogger('source', cfg.logLevel));
    await svc.start();
    const status = svc.status() as { tables: { mode: string }[] };
    expect(status.tables[0]!.mode).toBe('tablets');
    const writing = write(cql, ks, 0, 300);
    writing.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const set = emu.splitTablet(ks, 'g');
    await writing;
    await write(cql, ks, 300, 350);
    const topic = topicFor(cfg.kafkaTopicTemplate, ks, 'g');
    const recs = await readTopic(topic, (r) => new Set(r.map((x) => x.key.id)).size >= 350, 45_000);
    expectExactlyOnce(recs, 350);
    expect(set).toBeDefined();
    expect(streamsOf(recs).size).toBeGreaterThan(2);
  }, 90_000);
});
