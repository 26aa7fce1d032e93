/**
 * The forced exit after the shutdown deadline, in a real process: a sink whose PostgreSQL stops
 * answering mid-batch cannot drain, so at SHUTDOWN_TIMEOUT_MS it exits 1 on its own, and the batch
 * it held is not committed (its offset stays where it was: the next run redoes it).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../../helpers/cli.js';
import { TcpFaultProxy } from '../../helpers/fault-proxy.js';
import { freePort } from '../../helpers/free-port.js';
import { PG_URL } from '../../helpers/stack-env.js';
import { closeProducer, pgPool, produce, randomName, sinkEnv, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_deadline');
let proxy: TcpFaultProxy | undefined;

afterAll(async () => {
  await proxy?.close();
  await closeProducer();
  await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pgPool.end();
});

describe('shutdown deadline', () => {
  it('a drain that cannot finish ends the process with exit 1 at the deadline, nothing committed', async () => {
    proxy = await TcpFaultProxy.start({ host: '127.0.0.1', port: Number(new URL(PG_URL).port) });
    const viaProxy = new URL(PG_URL);
    viaProxy.port = String(proxy.port);
    const group = randomName('g');
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const port = await freePort();
    const env = sinkEnv({
      SINK_TOPICS: fx.topic,
      PG_SCHEMA: schema,
      SINK_GROUP_ID: group,
      PG_URL: viaProxy.toString(),
      METRICS_PORT: String(port),
      METRICS_HOST: '127.0.0.1',
      SHUTDOWN_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'info',
    });
    const { child, log, exited } = spawnCli(['sink'], env);
    const base = `http://127.0.0.1:${port}`;
    try {
      const t = 1_700_000_000_000_000;
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { v: { value: 'one' } }, tsUs: t })]);
      await waitFor('the first record applied', async () => (await storedOffset(schema, group, fx.topic)) === 1n, 90_000);

      proxy.setMode('hold'); // PostgreSQL stops answering; its connections stay open
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 2 }, after: { v: { value: 'two' } }, tsUs: t + 1 })]);
      await waitFor('the second record in flight', async () => ((await (await fetch(`${base}/status`)).json()) as { inflightBytes: number }).inflightBytes > 0, 60_000);

      child.kill('SIGTERM');
      // The process's own deadline is 2 s (+ main's 3 s grace for leftover handles); 60 s here is only
      // this test's guard against a process that never exits: then the code is null and the test fails.
      const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(guard);
      expect(code, log().slice(-3000)).toBe(1);
      expect(log()).toMatch(/"shutdownTimeoutMs":2000,"msg":"drain deadline passed: exiting/);
      expect(await storedOffset(schema, group, fx.topic)).toBe(1n);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
