/**
 * Pausing one table at the sink, on the real stack (README "Pausing a table"): two tables flow; the
 * operator pauses one with the CLI; the other keeps applying while the paused one's rows and stored
 * offsets stay put; the pause survives a sink restart and a rebalance between two sinks of the group;
 * `resume` applies everything that waited, exactly once (an audit trigger counts every application).
 *
 * "Stays put" is asserted after the other table applied records produced *after* the paused table's:
 * the sinks fetched past them, so they would have been applied had the table not been paused.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { runCli } from '../../helpers/cli.js';
import { KAFKA_BROKERS, PG_URL } from '../../helpers/stack-env.js';
import { closeProducer, installAudit, pgPool, produce, query, randomName, startSink, storedOffset, storedTotal, topicFixture, waitFor, type TopicFixture } from './sink-harness.js';

const schema = randomName('sink_pause');
const group = randomName('g');
const TEMPLATE = 'cdc.sinktest.{table}';

interface PausedStatus {
  table: string;
  topic: string;
  since: string;
  by: string;
  lag: number;
  partitions: { partition: number; committedOffset: string; lag: number }[];
}

async function sinkStatus(port: number): Promise<{ pausedTables: PausedStatus[]; assigned: unknown[] }> {
  return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { pausedTables: PausedStatus[]; assigned: unknown[] };
}

async function metric(port: number, re: RegExp): Promise<number | undefined> {
  const m = re.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  return m ? Number(m[1]) : undefined;
}

let nextTs = 1;
/** `n` inserts of new keys from `from`, spread over `partitions` partitions. */
function inserts(fx: TopicFixture, from: number, n: number, partitions: number) {
  return Array.from({ length: n }, (_, i) => ({
    ...fx.encode({ op: 'c', key: { id: from + i }, after: { v: { value: `v${from + i}` } }, tsUs: nextTs++ }),
    partition: (from + i) % partitions,
  }));
}

const rows = async (fx: TopicFixture) => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${fx.spec.table}"`))[0]!.n);
const audited = async (fx: TopicFixture) => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${fx.spec.table}_audit"`))[0]!.n);

describe('pause and resume one table', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('the paused table waits in Kafka across restarts and rebalances, the other flows; resume applies it exactly once', async () => {
    const spec = { key: [{ name: 'id', type: 'int' as const }], columns: [{ name: 'v', type: 'string' as const }] };
    const paused = await topicFixture(spec, 2);
    const other = await topicFixture(spec, 1);
    const ports = [await freePort(), await freePort(), await freePort()];
    const env = (port: number) => ({
      SINK_TOPICS: `${paused.topic},${other.topic}`,
      KAFKA_TOPIC_TEMPLATE: TEMPLATE,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      SINK_TOPIC_REFRESH_MS: '500',
      SINK_STALL_TIMEOUT_MS: '1000',
    });
    const cliEnv = {
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      PG_URL,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      SINK_TOPICS: `${paused.topic},${other.topic}`,
      KAFKA_TOPIC_TEMPLATE: TEMPLATE,
      SINK_STATUS_URL: ports.map((p) => `http://127.0.0.1:${p}`).join(','),
      SOURCE_STATUS_URL: `http://127.0.0.1:${await freePort()}`,
    };
    const table = `ks.${paused.spec.table}`;
    const pausedTotal = () => storedTotal(schema, group, paused.topic, 2);
    const otherAt = () => storedOffset(schema, group, other.topic);

    let sink = startSink(env(ports[0]!));
    await sink.started;
    const sinks = [sink];
    try {
      // Both tables exist and flow; then every later application is audited.
      await produce(paused.topic, inserts(paused, 0, 4, 2));
      await produce(other.topic, inserts(other, 0, 4, 1));
      await waitFor('both tables applied', async () => (await pausedTotal()) === 4n && (await otherAt()) === 4n);
      await installAudit(schema, paused.spec.table, 't.id::text');
      await installAudit(schema, other.spec.table, 't.id::text');

      // An unknown table is refused (exit 2) unless --force.
      const unknown = await runCli(['pause', '--table', 'ks.no_such_table'], cliEnv);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/refusing to pause ks\.no_such_table \(topic cdc\.sinktest\.no_such_table\): no such topic in Kafka/);
      expect((await runCli(['pause', '--table', 'ks.no_such_table', '--force'], cliEnv)).code).toBe(0);
      expect((await runCli(['resume', '--table', 'ks.no_such_table'], cliEnv)).code).toBe(0);

      const p = await runCli(['pause', '--table', table, '--reason', 'target migration', '--by', 'tester'], cliEnv);
      expect(p.code, p.err).toBe(0);
      expect(p.out).toContain(`paused ${table} (topic ${paused.topic})`);
      expect((await runCli(['pause', '--table', table], cliEnv)).out).toMatch(/already paused .* by tester \(target migration\)/);
      // The sink has taken the pause in once its status lists it: from then on nothing of it is taken.
      await waitFor('the sink reports the pause', async () => (await sinkStatus(ports[0]!)).pausedTables.some((t) => t.topic === paused.topic));
      expect(await metric(ports[0]!, new RegExp(`^cdc_sink_table_paused\\{table="${paused.spec.table}"\\} (\\d+)$`, 'm'))).toBe(1);
      const offsetsAtPause = [await storedOffset(schema, group, paused.topic, 0), await storedOffset(schema, group, paused.topic, 1)];

      // Paused table first, then the other: the other being applied proves the sink fetched past both.
      await produce(paused.topic, inserts(paused, 100, 10, 2));
      await produce(other.topic, inserts(other, 100, 10, 1));
      await waitFor('the other table applied', async () => (await otherAt()) === 14n);
      expect([await storedOffset(schema, group, paused.topic, 0), await storedOffset(schema, group, paused.topic, 1)]).toEqual(offsetsAtPause);
      expect(await rows(paused)).toBe(4);
      expect(await audited(paused)).toBe(0);
      expect(await rows(other)).toBe(14);

      // Status shows since-when and the lag building up; the paused table is not "stalled".
      const st = await waitFor('the paused lag in /status', async () => {
        const t = (await sinkStatus(ports[0]!)).pausedTables.find((x) => x.topic === paused.topic);
        return t && t.lag === 10 ? t : undefined;
      });
      expect(st).toMatchObject({ table, by: 'tester' });
      const lagSeenAt = Date.now();
      await waitFor('two stall timeouts with the lag observed', async () => Date.now() - lagSeenAt > 2500 && (await sinkStatus(ports[0]!)).pausedTables[0]?.lag === 10);
      expect((await fetch(`http://127.0.0.1:${ports[0]}/readyz`)).status).toBe(200);
      expect(await metric(ports[0]!, /^cdc_sink_stalled (\d+)$/m)).toBe(0);
      const list = await runCli(['pause', '--list'], cliEnv);
      expect(list.out).toMatch(
        new RegExp(
          `${table.replace('.', '\\.')}  topic ${paused.topic.replace(/\./g, '\\.')}  paused since \\S+ by tester \\(target migration\\)  waiting in Kafka: 10 record\\(s\\)`,
        ),
      );
      const status = JSON.parse((await runCli(['status', '--json'], cliEnv)).out) as { pausedTables: { table: string; lag: number }[] };
      expect(status.pausedTables).toEqual([expect.objectContaining({ table, lag: 10 })]);
      expect((await runCli(['status'], cliEnv)).out).toContain(
        `paused tables (sink group ${group}):\n${table}  topic ${paused.topic}  paused since ${st.since} by tester (target migration)  waiting in Kafka: 10 record(s)\n`,
      );

      // Restart while paused, now as two sinks of the group (a rebalance while paused): still paused.
      await sink.proc.stop();
      sinks.length = 0;
      for (const port of ports.slice(1)) {
        sink = startSink(env(port));
        sinks.push(sink);
        await sink.started;
      }
      await produce(paused.topic, inserts(paused, 200, 6, 2));
      await produce(other.topic, inserts(other, 200, 6, 1));
      await waitFor('the other table applied after the restart', async () => (await otherAt()) === 20n, 60_000);
      await waitFor('both sinks hold partitions', async () => (await Promise.all(ports.slice(1).map(sinkStatus))).every((s) => s.assigned.length > 0), 60_000);
      await produce(other.topic, inserts(other, 300, 2, 1));
      await waitFor('the other table applied after the rebalance', async () => (await otherAt()) === 22n, 60_000);
      expect([await storedOffset(schema, group, paused.topic, 0), await storedOffset(schema, group, paused.topic, 1)]).toEqual(offsetsAtPause);
      expect(await rows(paused)).toBe(4);
      expect(await audited(paused)).toBe(0);

      const r = await runCli(['resume', '--table', table], cliEnv);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`resumed ${table}`);
      await waitFor('the paused table caught up', async () => (await pausedTotal()) === 20n, 60_000);
      expect(await rows(paused)).toBe(20);
      expect(await audited(paused)).toBe(16); // each waiting change applied once
      expect(await audited(other)).toBe(18);
      expect((await runCli(['pause', '--list'], cliEnv)).out).toBe('no table paused\n');
      await waitFor('the metric back at 0', async () =>
        (await Promise.all(ports.slice(1).map((port) => metric(port, new RegExp(`^cdc_sink_table_paused\\{table="${paused.spec.table}"\\} (\\d+)$`, 'm'))))).every((v) => v === 0),
      );
    } finally {
      for (const s of sinks) await s.proc.stop();
    }
  }, 240_000);
});
