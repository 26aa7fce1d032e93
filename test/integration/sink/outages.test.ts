/**
 * Bad conditions, isolated from the shared stack (test/helpers/fault-proxy.ts): Kafka connections
 * cut and refused (kafkajs socket factory), the registry refusing / answering 500 through a proxy,
 * PostgreSQL dropping and refusing connections through a proxy, and a topic created after the sink
 * started. Every case ends with the exact expected table, the exact stored offsets, and no row
 * applied twice (audit trigger).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaSocketFaults, TcpFaultProxy } from '../../helpers/fault-proxy.js';
import { PG_URL, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';
import { avroType, envelope, frame, keyObject, valueSchema } from '../../fixtures/sink/envelope.js';
import {
  closeProducer,
  doubleApplied,
  installAudit,
  pgPool,
  produce,
  query,
  randomName,
  register,
  startSink,
  storedOffset,
  storedTotal,
  topicFixture,
  waitFor,
} from './sink-harness.js';
import { buildWorkload, createWorkloadTable, tableRows, workloadFixture } from './workload.js';

const schema = randomName('sink_outage');
const proxies: TcpFaultProxy[] = [];

function viaProxy(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString().replace(/\/$/, '');
}

describe('outages', () => {
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('Kafka down (connections cut, new ones refused): unhealthy meanwhile, then everything applied once', async () => {
    const partitions = 3;
    const group = randomName('g');
    const fx = await workloadFixture(partitions);
    const w = buildWorkload(fx, { keys: 300, changes: 6000, partitions, seed: 11 });
    await createWorkloadTable(schema, fx.spec.table);
    await installAudit(schema, fx.spec.table, 't.id::text');
    const faults = new KafkaSocketFaults();
    const sink = startSink(
      { SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_BATCH_SIZE: '200', SINK_SESSION_TIMEOUT_MS: '6000' },
      { socketFactory: faults.socketFactory },
    );
    await sink.started;
    try {
      const half = w.messages.length / 2;
      await produce(fx.topic, w.messages.slice(0, half));
      await waitFor('progress', async () => (await storedTotal(schema, group, fx.topic, partitions)) > 0n, 60_000);
      faults.outage();
      await produce(fx.topic, w.messages.slice(half)); // the test's own producer is not cut
      // Unhealthy can come first (the cut connections), refused reconnects a moment later: both must happen.
      await waitFor('unhealthy during the outage, reconnects refused', async () => !sink.proc.sink.healthy() && faults.refused > 0, 60_000);
      const during = await storedTotal(schema, group, fx.topic, partitions);
      faults.heal();
      await waitFor('all applied after heal', async () => (await storedTotal(schema, group, fx.topic, partitions)) === BigInt(w.messages.length), 120_000);
      await waitFor('healthy again', async () => sink.proc.sink.healthy(), 60_000);
      expect(during).toBeLessThan(BigInt(w.messages.length));
      for (let p = 0; p < partitions; p++) expect(await storedOffset(schema, group, fx.topic, p)).toBe(BigInt(w.perPartition[p]!));
      expect(await tableRows(schema, fx.spec.table)).toEqual(w.expected);
      expect(await doubleApplied(schema, fx.spec.table)).toEqual([]);
    } finally {
      faults.heal();
      await sink.proc.stop();
    }
  });

  it('registry down (500, then refused): new schema ids stall and are retried, never dead-lettered', async () => {
    const proxy = await TcpFaultProxy.start({ host: '127.0.0.1', port: Number(new URL(SCHEMA_REGISTRY_URL).port) });
    proxies.push(proxy);
    const group = randomName('g');
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'a', type: 'string' }] });
    const t = 1_700_000_000_000_000;
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SCHEMA_REGISTRY_URL: viaProxy(SCHEMA_REGISTRY_URL, proxy.port) });
    await sink.started;
    try {
      const v1 = Array.from({ length: 50 }, (_, i) => fx.encode({ op: 'c', key: { id: i }, after: { a: { value: `v1-${i}` } }, tsUs: t + i }));
      await produce(fx.topic, v1);
      await waitFor('v1 applied', async () => (await storedOffset(schema, group, fx.topic)) === 50n);

      proxy.setMode('http500');
      // A new value schema id, registered behind the sink's back (the test talks to the registry directly).
      const spec2 = { ...fx.spec, columns: [...fx.spec.columns, { name: 'extra', type: 'long' }] };
      const v2Schema = valueSchema(spec2);
      const v2id = await register(`${fx.topic}-value`, v2Schema);
      const v2t = avroType(v2Schema);
      const v2 = Array.from({ length: 50 }, (_, i) => ({
        key: fx.encodeKey(keyObject(fx.spec, { id: i })),
        value: frame(v2id, v2t, envelope(spec2, { op: 'u', key: { id: i }, after: { extra: { value: i * 10 } }, tsUs: t + 100 + i })),
      }));
      await produce(fx.topic, v2);
      await waitFor('registry unhealthy', async () => (sink.proc.sink.status() as { health: { registry: boolean } }).health.registry === false, 60_000);
      proxy.setMode('refuse');
      await new Promise((r) => setTimeout(r, 2000)); // retries meet refused connections now
      expect((sink.proc.sink.status() as { health: { registry: boolean } }).health.registry).toBe(false);
      expect(await storedOffset(schema, group, fx.topic)).toBe(50n); // stalled, not skipped
      proxy.setMode('forward');
      await waitFor('v2 applied after heal', async () => (await storedOffset(schema, group, fx.topic)) === 100n, 60_000);
      const rows = await query<{ id: number; a: string; extra: string }>(`SELECT id, a, extra::text FROM "${schema}"."${fx.spec.table}" ORDER BY id`);
      expect(rows).toEqual(Array.from({ length: 50 }, (_, i) => ({ id: i, a: `v1-${i}`, extra: String(i * 10) })));
      const status = sink.proc.sink.status() as { dlq: Record<string, number>; healthy: boolean };
      expect(status.dlq).toEqual({});
      await waitFor('healthy again', async () => sink.proc.sink.healthy(), 30_000);
    } finally {
      proxy.setMode('forward');
      await sink.proc.stop();
    }
  });

  it('PostgreSQL down (connections dropped, refused for a while): nothing lost or doubled', async () => {
    const proxy = await TcpFaultProxy.start({ host: '127.0.0.1', port: Number(new URL(PG_URL).port) });
    proxies.push(proxy);
    const partitions = 2;
    const group = randomName('g');
    const fx = await workloadFixture(partitions);
    const w = buildWorkload(fx, { keys: 200, changes: 6000, partitions, seed: 23 });
    await createWorkloadTable(schema, fx.spec.table);
    await installAudit(schema, fx.spec.table, 't.id::text');
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_BATCH_SIZE: '100', PG_URL: viaProxy(PG_URL, proxy.port) });
    await sink.started;
    try {
      const third = Math.floor(w.messages.length / 3);
      await produce(fx.topic, w.messages.slice(0, third));
      await waitFor('progress', async () => (await storedTotal(schema, group, fx.topic, partitions)) > 0n, 60_000);
      proxy.setMode('refuse'); // drops every open connection, resets new ones
      await produce(fx.topic, w.messages.slice(third));
      await waitFor('unhealthy during the outage', async () => !sink.proc.sink.healthy(), 60_000);
      const during = await storedTotal(schema, group, fx.topic, partitions);
      await new Promise((r) => setTimeout(r, 3000));
      expect(await storedTotal(schema, group, fx.topic, partitions)).toBe(during); // nothing commits while down
      proxy.setMode('forward');
      await waitFor('all applied after heal', async () => (await storedTotal(schema, group, fx.topic, partitions)) === BigInt(w.messages.length), 120_000);
      await waitFor('healthy again', async () => sink.proc.sink.healthy(), 30_000);
      for (let p = 0; p < partitions; p++) expect(await storedOffset(schema, group, fx.topic, p)).toBe(BigInt(w.perPartition[p]!));
      expect(await tableRows(schema, fx.spec.table)).toEqual(w.expected);
      expect(await doubleApplied(schema, fx.spec.table)).toEqual([]);
    } finally {
      proxy.setMode('forward');
      await sink.proc.stop();
    }
  });

  it('picks up a topic created after the sink started (SINK_TOPICS regex)', async () => {
    const group = randomName('g');
    const prefix = randomName('disc');
    const spec = { key: [{ name: 'id', type: 'int' }], columns: [{ name: 'a', type: 'string' }] };
    const first = await topicFixture({ ...spec, table: `${prefix}_a` });
    const t = 1_700_000_000_000_000;
    const sink = startSink({ SINK_TOPICS: `^cdc\\.sinktest\\.${prefix}_.*`, PG_SCHEMA: schema, SINK_GROUP_ID: group, SINK_TOPIC_REFRESH_MS: '500' });
    await sink.started;
    try {
      await produce(first.topic, [first.encode({ op: 'c', key: { id: 1 }, after: { a: { value: 'first' } }, tsUs: t })]);
      await waitFor('first topic', async () => (await storedOffset(schema, group, first.topic)) === 1n, 60_000);
      const second = await topicFixture({ ...spec, table: `${prefix}_b` });
      await produce(
        second.topic,
        [1, 2, 3].map((id) => second.encode({ op: 'c', key: { id }, after: { a: { value: `second-${id}` } }, tsUs: t + id })),
      );
      await waitFor('new topic applied', async () => (await storedOffset(schema, group, second.topic)) === 3n, 60_000);
      expect(await query(`SELECT id, a FROM "${schema}"."${prefix}_b" ORDER BY id`)).toEqual([1, 2, 3].map((id) => ({ id, a: `second-${id}` })));
      expect((sink.proc.sink.status() as { topics: string[] }).topics.sort()).toEqual([first.topic, second.topic].sort());
    } finally {
      await sink.proc.stop();
    }
  });
});
