/**
 * The batch phases the bench's profile reads (bench/lib/sink-phases.ts, docs/sink.md "Metrics and
 * status"): after one applied batch, the sink's /metrics has an observation of every phase.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { closeProducer, pgPool, produce, randomName, startSink, storedOffset, topicFixture, waitFor } from './sink-harness.js';

const schema = randomName('sink_phases');
const PHASES = ['decode', 'fold', 'copy', 'encode', 'apply', 'commit'];

describe('cdc_sink_batch_phase_seconds', () => {
  afterAll(async () => {
    await closeProducer();
    await pgPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgPool.end();
  });

  it('observes every phase of an applied batch', async () => {
    const fx = await topicFixture({ key: [{ name: 'id', type: 'int' }], columns: [{ name: 'v', type: 'string' }] });
    const group = randomName('g');
    const port = await freePort();
    const sink = startSink({ SINK_TOPICS: fx.topic, PG_SCHEMA: schema, SINK_GROUP_ID: group, METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
    await sink.started;
    try {
      await produce(fx.topic, [fx.encode({ op: 'c', key: { id: 1 }, after: { v: { value: 'a' } }, tsUs: 1 })]);
      await waitFor('the record applied', async () => (await storedOffset(schema, group, fx.topic)) === 1n);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const phase of PHASES) {
        const m = new RegExp(`^cdc_sink_batch_phase_seconds_count\\{phase="${phase}"\\} (\\d+)$`, 'm').exec(text);
        expect(Number(m?.[1] ?? 0), phase).toBeGreaterThanOrEqual(1);
      }
    } finally {
      await sink.proc.stop();
    }
  });
});
