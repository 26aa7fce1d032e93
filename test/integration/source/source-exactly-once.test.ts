/**
 * Exactly once under failure: source processes are SIGKILLed mid-stream while writes continue;
 * reading the topic read_committed must show every change exactly once. Also: two processes
 * share the slots and one is killed; its slots move to the survivor (session timeout 6 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type cassandra from 'cassandra-driver';
import { topicFor } from '../../../src/source/source-service.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { kill9, spawnSource, type SourceChild } from './child.js';
import { emulator, readTopic, sourceConfig, uniqueKs, type Decoded } from './harness.js';

let emu: EmulatorHandle;
let cql: cassandra.Client;
const ks = uniqueKs();
const children: SourceChild[] = [];

beforeAll(async () => {
  ({ emu, cql } = await emulator());
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
});

afterAll(async () => {
  for (const c of children) await kill9(c);
  await cql?.shutdown();
  await emu?.close();
});

/** Inserts ids [from, to) at ~rate/s, each its own partition (one change = one record). */
async function write(table: string, from: number, to: number, perSecond: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await cql.execute(`INSERT INTO ${ks}.${table} (id, v) VALUES (?, ?)`, [i, `v${i}`], { prepare: true });
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, (10 * 1000) / perSecond));
  }
}

function countsById(recs: Decoded[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of recs) if (r.value.op === 'c') m.set(r.key.id as number, (m.get(r.key.id as number) ?? 0) + 1);
  return m;
}

function expectExactlyOnce(recs: Decoded[], n: number): void {
  const counts = countsById(recs);
  const missing = [...Array(n).keys()].filter((i) => !counts.has(i));
  const dup = [...counts.entries()].filter(([, c]) => c > 1);
  expect({ missing: missing.slice(0, 20), dup: dup.slice(0, 20) }).toEqual({ missing: [], dup: [] });
  expect(counts.size).toBe(n);
}

describe('exactly once into Kafka', () => {
  it('kill -9 of the source mid-stream, twice, then restart: every change exactly once', async () => {
    await cql.execute(`CREATE TABLE ${ks}.k (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
    const cfg = sourceConfig(emu, [`${ks}.k`], { SOURCE_MAX_BATCH_RECORDS: '25', SOURCE_SLOTS: '2' });
    const topic = topicFor(cfg.kafkaTopicTemplate, ks, 'k');
    const N = 900;
    const writing = write('k', 0, N, 150);
    writing.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    for (let round = 0; round < 2; round++) {
      const child = spawnSource(cfg);
      children.push(child);
      const target = (round + 1) * 150;
      await readTopic(topic, (r) => r.length >= target, 40_000);
      await kill9(child);
    }
    const last = spawnSource(cfg);
    children.push(last);
    await writing;
    const recs = await readTopic(topic, (r) => countsById(r).size >= N, 60_000);
    expectExactlyOnce(recs, N);
    last.proc.kill('SIGTERM');
    expect(await last.exited).toBe(0);
  }, 150_000);

  it('two processes share the slots; one is killed and the other takes over, exactly once', async () => {
    await cql.execute(`CREATE TABLE ${ks}.two (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
    const cfg = sourceConfig(emu, [`${ks}.two`], { SOURCE_MAX_BATCH_RECORDS: '20', SOURCE_SLOTS: '4' });
    const topic = topicFor(cfg.kafkaTopicTemplate, ks, 'two');
    const a = spawnSource(cfg);
    const b = spawnSource(cfg);
    children.push(a, b);
    const N = 700;
    const writing = write('two', 0, N, 120);
    writing.catch(() => undefined);
    await readTopic(topic, (r) => r.length >= 200, 45_000);
    await kill9(b);
    await writing;
    const recs = await readTopic(topic, (r) => countsById(r).size >= N, 60_000);
    expectExactlyOnce(recs, N);
    a.proc.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  }, 150_000);
});
