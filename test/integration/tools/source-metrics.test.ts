/**
 * A running source's /metrics after a known set of writes (exact counts per op, slots owned, log
 * rows read), and `status` in its text form against it: the table line, the process lines and the
 * DLQ line an operator reads.
 */
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/free-port.js';
import { KAFKA_BROKERS, randomName } from '../../helpers/stack-env.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import { kill9, spawnSource, type SourceChild } from '../source/child.js';
import { emulator, sourceConfig, uniqueKs, waitFor } from '../source/harness.js';
import { streamingReport } from '../source/source-status.js';

const SLOTS = 4;
let emu: EmulatorHandle;
let cql: cassandra.Client;
let source: SourceChild | undefined;
const ks = uniqueKs();

beforeAll(async () => {
  ({ emu, cql } = await emulator());
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`);
  await cql.execute(`CREATE TABLE ${ks}.metered (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
});

afterAll(async () => {
  if (source) await kill9(source);
  await cql?.shutdown();
  await emu?.close();
});

/** The value of the one sample line `name{labels}` (labels in the order the process writes them), read without the tools' parser. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the source metrics endpoint and status', () => {
  it('counts exactly the changes written, per op; status shows them in its table', async () => {
    const port = await freePort();
    const cfg = sourceConfig(emu, [`${ks}.metered`], { SOURCE_SLOTS: String(SLOTS) });
    source = spawnSource(cfg, { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
    await waitFor(async () => ((await streamingReport(port, SLOTS).catch(() => undefined))?.streaming ? true : undefined), 90_000, 'every slot streaming');

    // 5 inserts, 2 updates, 1 row delete: one CDC log row each (cdc$operation 2, 1 and 3).
    for (let id = 1; id <= 5; id++) await cql.execute(`INSERT INTO ${ks}.metered (id, v) VALUES (?, ?)`, [id, `v${id}`], { prepare: true });
    for (const id of [1, 2]) await cql.execute(`UPDATE ${ks}.metered SET v = 'changed' WHERE id = ?`, [id], { prepare: true });
    await cql.execute(`DELETE FROM ${ks}.metered WHERE id = 3`);

    const base = `http://127.0.0.1:${port}`;
    const replicated = (t: string) => ['c', 'u', 'd'].reduce((n, op) => n + (sample(t, `cdc_records_replicated_total{table="metered",op="${op}"}`) ?? 0), 0);
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`${base}/metrics`)).text();
        return replicated(t) >= 8 ? t : undefined;
      },
      60_000,
      '8 changes replicated',
    );
    expect({
      c: sample(text, 'cdc_records_replicated_total{table="metered",op="c"}'),
      u: sample(text, 'cdc_records_replicated_total{table="metered",op="u"}'),
      d: sample(text, 'cdc_records_replicated_total{table="metered",op="d"}'),
      logRows: sample(text, 'cdc_source_log_rows_read_total{table="metered"}'),
      slots: sample(text, 'cdc_source_slots_owned'),
      healthy: sample(text, 'cdc_connector_healthy{component="source"}'),
      gaps: sample(text, 'cdc_source_checkpoint_gaps_total{table="metered"}'),
    }).toEqual({ c: 5, u: 2, d: 1, logRows: 8, slots: SLOTS, healthy: 1, gaps: undefined });

    const sinkUrl = `http://127.0.0.1:${await freePort()}`;
    const dlqTopic = randomName('status_dlq');
    const status = await runCli(['status'], { SOURCE_STATUS_URL: base, SINK_STATUS_URL: sinkUrl, KAFKA_BROKERS: KAFKA_BROKERS.join(','), DLQ_TOPIC: dlqTopic });
    expect(status.code, status.err).toBe(0);
    const lines = status.out.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `source ${base}  healthy`,
      `sink   ${sinkUrl}  down`,
      '',
      'table                  produced    applied     in/s    out/s    lag s window lag s',
    ]);
    // No writes between the two scrapes: 0.0 per second in and out; no sink: no lag; the window lag is a clock reading.
    expect(lines[4]).toMatch(/^metered +8 +0 +0\.0 +0\.0 +- +\d+\.\d$/);
    expect(lines.slice(5)).toEqual(['', `DLQ ${dlqTopic}: 0 record(s)`, '']);

    source.proc.kill('SIGTERM');
    expect(await source.exited).toBe(0);
  }, 180_000);
});
