/**
 * GET /status while the source is still starting (topics made, schemas not yet registered because
 * the registry is down) answers with the start-up problem instead of failing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { SourceService } from '../../../src/source/source-service.js';
import { emulator, randomName, sourceConfig } from '../source/harness.js';
import type { EmulatorHandle } from '../../support/scylla-emulator/index.js';
import type cassandra from 'cassandra-driver';

let emu: EmulatorHandle;
let cql: cassandra.Client;
let service: SourceService;
const ks = randomName('status_ks');

beforeAll(async () => {
  ({ emu, cql } = await emulator());
  await cql.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await cql.execute(`CREATE TABLE ${ks}.t (id int PRIMARY KEY, v text) WITH cdc = {'enabled': true}`);
});

afterAll(async () => {
  await service?.stop();
  await cql?.shutdown();
  await emu?.close();
});

describe('source /status during start-up', () => {
  it('answers while the registry is unreachable', async () => {
    service = new SourceService(sourceConfig(emu, [`${ks}.t`], { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' }), createLogger('status-test', 'silent'));
    void service.start();
    const until = Date.now() + 60_000;
    let status: { problem: string | null; tables: { keySchemaId: number | null }[] } | undefined;
    while (Date.now() < until) {
      status = service.status() as typeof status;
      if (status?.tables.length && status.problem?.startsWith('registry')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status?.problem).toMatch(/^registry: /);
    expect(status?.tables).toEqual([expect.objectContaining({ keySchemaId: null })]);
  });
});
