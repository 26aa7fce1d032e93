/**
 * Bad conditions: ScyllaDB unreachable at start (waits with backoff, unhealthy, stops cleanly on
 * request instead of crash-looping) and connections dropped mid-stream (recovers, nothing lost
 * or duplicated).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService, topicFor } from '../../../src/source/source-service.js';
import { loadSourceConfig } from '../../../src/config/source-config.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import type cassandra from 'cassandra-driver';
import { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { emulator, randomName, readTopic, sourceConfig, uniqueKs, waitFor } from './harness.js';

let emu: EmulatorHandle | undefined;
let cql: cassandra.Client | undefined;

afterAll(async () => {
  await cql?.shutdown();
  await emu?.close();
});

describe('source under bad conditions', () => {
  it('ScyllaDB unreachable at start: retries, reports unhealthy, stops on request', async () => {
    const cfg = loadSourceConfig({
      SCYLLA_CONTACT_POINTS: '127.0.0.1:1',
      SCYLLA_TABLES: 'ks.t',
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL,
      SOURCE_NAME: randomName('src'),
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    const svc = new SourceService(cfg, createLogger('source', 'silent'));
    let settled = false;
    const starting = svc.start().finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(settled).toBe(false);
    expect(svc.healthy()).toBe(false);
    expect((svc.status() as { problem: string }).problem).toMatch(/^scylla:/);
    await svc.stop();
    await starting;
  });

  it('connections dropped mid-stream: recovers and every change arrives exactly once', async () => {
    ({ emu, cql } = await emulator());
    const ks = uniqueKs();
    await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
    await cql.execute(`CREATE TABLE ${ks}.f (id int PRIMARY KEY, v int) WITH cdc = {'enabled': true}`);
    const cfg = sourceConfig(emu, [`${ks}.f`]);
    const svc = new SourceService(cfg, createLogger('source', 'silent'));
    await svc.start();
    try {
      for (let i = 0; i < 200; i++) {
        if (i === 60 || i === 140) emu.dropConnections();
        await waitFor(
          async () => {
            try {
              await cql!.execute(`INSERT INTO ${ks}.f (id, v) VALUES (?, ?)`, [i, i], { prepare: true });
              return true;
            } catch {
              return undefined; // the test's own client reconnects too
            }
          },
          20_000,
          `insert ${i}`,
        );
      }
      const recs = await readTopic(topicFor(cfg.kafkaTopicTemplate, ks, 'f'), (r) => new Set(r.map((x) => x.key.id)).size >= 200, 45_000);
      const counts = new Map<unknown, number>();
      for (const r of recs) counts.set(r.key.id, (counts.get(r.key.id) ?? 0) + 1);
      expect(counts.size).toBe(200);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
      await waitFor(() => (svc.healthy() ? true : undefined), 20_000, 'healthy again');
    } finally {
      await svc.stop();
    }
  });
});
