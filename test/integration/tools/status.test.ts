/** `status` and `health` against a running sink: its /metrics and /healthz, and the DLQ topic's size. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { closeProducer, createTopic, pgPool, produce, randomName, startSink, storedOffset, topicFixture, waitFor } from '../sink/sink-harness.js';
import { freePort } from '../../helpers/free-port.js';
import { PG_URL, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);
const schema = randomName('status');
const group = randomName('g');
const dlqTopic = randomName('dlq');

async function tool(cmd: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', MAIN, cmd, '--json'], {
      env: { PATH: process.env.PATH ?? '', SCHEMA_REGISTRY_URL, PG_URL, DLQ_TOPIC: dlqTopic, ...env },
      timeout: 60_000,
    });
    return { code: 0, out: stdout };
  } catch (err) {
    return { code: (err as { code: number }).code, out: (err as { stdout: string }).stdout };
  }
}

afterAll(async () => {
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

describe('status and health with a running sink', () => {
  it('report the sink healthy, its applied changes per table and the DLQ size', async () => {
    await createTopic(dlqTopic, 1);
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const t = 1_700_000_000_000_000;
    await produce(
      fx.topic,
      [1, 2, 3].map((id) => fx.encode({ op: 'c', key: { id }, after: { v: { value: `v${id}` } }, tsUs: t + id })),
    );
    await produce(fx.topic, [{ key: Buffer.from('k'), value: Buffer.from([9, 9, 9]) }]); // one poison record
    const port = await freePort();
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, DLQ_TOPIC: dlqTopic, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
    await sink.started;
    try {
      await waitFor('applied', async () => (await storedOffset(schema, group, fx.topic)) === 4n);
      const urls = { SINK_STATUS_URL: `http://127.0.0.1:${port}`, SOURCE_STATUS_URL: `http://127.0.0.1:${await freePort()}` };
      const status = await tool('status', urls);
      expect(status.code).toBe(0);
      const s = JSON.parse(status.out) as {
        processes: { component: string; up: boolean; healthy: boolean }[];
        tables: { table: string; applied: number }[];
        dlq: { records: number };
      };
      expect(s.processes.find((p) => p.component === 'sink')).toMatchObject({ up: true, healthy: true });
      expect(s.processes.find((p) => p.component === 'source')).toMatchObject({ up: false });
      expect(s.tables.find((x) => x.table === fx.spec.table)?.applied).toBe(3);
      expect(s.dlq.records).toBe(1);

      const health = await tool('health', urls);
      const byName = Object.fromEntries((JSON.parse(health.out) as { name: string; ok: boolean }[]).map((p) => [p.name, p.ok]));
      expect(byName.sink).toBe(true);
      expect(byName.source).toBe(false); // no source runs: health says so and exits 1
      expect(health.code).toBe(1);
    } finally {
      await sink.proc.stop();
    }
  });
});
