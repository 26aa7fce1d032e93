/**
 * Knobs no other test turned: each is parsed from its variable and then seen where it takes effect
 * (the option the client library reads, the page size a reader asks for, the timeout a request
 * gives up at); a bad value is a problem naming the variable (the CLI exits 2 on it).
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type cassandra from 'cassandra-driver';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryHttp } from '../../../src/clients/registry.js';
import { scyllaConnectionOptions } from '../../../src/clients/scylla.js';
import { loadSinkConfig } from '../../../src/config/sink-config.js';
import { loadSourceConfig } from '../../../src/config/source-config.js';
import { ConfigError } from '../../../src/config/spec.js';
import { applyHeapGrowth } from '../../../src/core/heap-growth.js';
import { sinkPoolOptions } from '../../../src/sink/main.js';
import { CdcPartitionerPolicy } from '../../../src/source/cdc-partitioner-policy.js';
import { LogReader } from '../../../src/source/log-reader.js';
import { scyllaClientOptions } from '../../../src/source/scylla-session.js';
import { SnapshotReader } from '../../../src/source/snapshot-reader.js';
import { T2 } from '../source/core/fixtures.js';

const source = (env: Record<string, string>) => loadSourceConfig({ SCYLLA_TABLES: 'ks.t', ...env });

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A stand-in for the ScyllaDB driver: answers `pages` pages, records the options of each request. */
function pagingClient(pages: number): { client: cassandra.Client; options: cassandra.QueryOptions[] } {
  const options: cassandra.QueryOptions[] = [];
  const execute = (_q: string, _p: unknown[], o: cassandra.QueryOptions) => {
    options.push(o);
    const last = options.length >= pages;
    return Promise.resolve({ rows: [], columns: [], pageState: last ? null : `page-${options.length}` });
  };
  return { client: { execute } as unknown as cassandra.Client, options };
}

describe('configuration knobs take effect', () => {
  it('SINK_HEAP_GROWING_PERCENT sets V8 --heap-growing-percent unless the operator did; the flag exists in this Node', () => {
    expect(loadSinkConfig({}).sinkHeapGrowingPercent).toBe(50);
    const pct = loadSinkConfig({ SINK_HEAP_GROWING_PERCENT: '35' }).sinkHeapGrowingPercent;
    expect(applyHeapGrowth(pct, [], '')).toBe(35);
    expect(applyHeapGrowth(0, [], '')).toBeNull();
    expect(applyHeapGrowth(pct, ['--heap-growing-percent=50'], '')).toBeNull();
    expect(applyHeapGrowth(pct, [], '--max-old-space-size=256 --heap-growing-percent=50')).toBeNull();
    expect(problemOf(() => loadSinkConfig({ SINK_HEAP_GROWING_PERCENT: '500' }))).toMatch(/^SINK_HEAP_GROWING_PERCENT: /);
    // V8 ignores an unknown flag silently: if a Node upgrade dropped it, the memory bound would go unnoticed
    expect(execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' })).toMatch(/--heap-growing-percent \(/);
  });
  it('SINK_FLUSH_CONCURRENCY must be below PG_POOL_SIZE (1 always fits), naming both', () => {
    expect(loadSinkConfig({}).sinkFlushConcurrency).toBe(2);
    expect(loadSinkConfig({ SINK_FLUSH_CONCURRENCY: '3', PG_POOL_SIZE: '4' }).sinkFlushConcurrency).toBe(3);
    expect(loadSinkConfig({ SINK_FLUSH_CONCURRENCY: '1', PG_POOL_SIZE: '1' }).sinkFlushConcurrency).toBe(1);
    expect(problemOf(() => loadSinkConfig({ SINK_FLUSH_CONCURRENCY: '4', PG_POOL_SIZE: '4' }))).toMatch(/^SINK_FLUSH_CONCURRENCY \(4\) must be below PG_POOL_SIZE \(4\)/);
    expect(problemOf(() => loadSinkConfig({ SINK_FLUSH_CONCURRENCY: '2', PG_POOL_SIZE: '2' }))).toMatch(/^SINK_FLUSH_CONCURRENCY \(2\) must be below PG_POOL_SIZE \(2\)/);
    // left unset, it fits the pool: a small pool keeps starting
    expect(loadSinkConfig({ PG_POOL_SIZE: '2' }).sinkFlushConcurrency).toBe(1);
    expect(loadSinkConfig({ PG_POOL_SIZE: '1' }).sinkFlushConcurrency).toBe(1);
    expect(loadSinkConfig({}).sinkFlushConcurrency).toBe(2);
    expect(problemOf(() => loadSinkConfig({ SINK_FLUSH_CONCURRENCY: '0' }))).toMatch(/^SINK_FLUSH_CONCURRENCY: expected an integer >= 1/);
  });
  it("SOURCE_HEAP_GROWING_PERCENT is the growth the source gives V8 (default 50), checked like the sink's", () => {
    expect(source({}).sourceHeapGrowingPercent).toBe(50);
    const pct = source({ SOURCE_HEAP_GROWING_PERCENT: '0' }).sourceHeapGrowingPercent;
    expect(applyHeapGrowth(pct, [], '')).toBeNull();
    expect(problemOf(() => source({ SOURCE_HEAP_GROWING_PERCENT: '401' }))).toMatch(/^SOURCE_HEAP_GROWING_PERCENT: expected an integer <= 400/);
    expect(problemOf(() => source({ SOURCE_HEAP_GROWING_PERCENT: 'lots' }))).toMatch(/^SOURCE_HEAP_GROWING_PERCENT: /);
  });
  it('PG_POOL_SIZE and PG_STATEMENT_TIMEOUT_MS size the sink pool and its server and client timeouts', () => {
    expect(sinkPoolOptions(loadSinkConfig({ PG_POOL_SIZE: '3', PG_STATEMENT_TIMEOUT_MS: '2000' }))).toMatchObject({ max: 3, statement_timeout: 2000, query_timeout: 7000 });
    expect(problemOf(() => loadSinkConfig({ PG_POOL_SIZE: '0' }))).toMatch(/^PG_POOL_SIZE: expected an integer >= 1/);
    expect(problemOf(() => loadSinkConfig({ PG_STATEMENT_TIMEOUT_MS: '999' }))).toMatch(/^PG_STATEMENT_TIMEOUT_MS: expected an integer >= 1000/);
  });

  it('SCYLLA_REQUEST_TIMEOUT_MS and SCYLLA_LOCAL_DC reach the driver options', () => {
    const cfg = source({ SCYLLA_REQUEST_TIMEOUT_MS: '4321', SCYLLA_LOCAL_DC: 'dc-east' });
    expect(scyllaClientOptions(cfg, new CdcPartitionerPolicy(cfg.scyllaLocalDc)).socketOptions?.readTimeout).toBe(4321);
    expect(scyllaConnectionOptions(cfg).localDataCenter).toBe('dc-east');
    expect(problemOf(() => source({ SCYLLA_REQUEST_TIMEOUT_MS: 'soon' }))).toMatch(/^SCYLLA_REQUEST_TIMEOUT_MS: expected an integer/);
  });

  it('CDC_FETCH_SIZE and SNAPSHOT_FETCH_SIZE are the page sizes of log and snapshot reads, every page', async () => {
    const cfg = source({ CDC_FETCH_SIZE: '7', SNAPSHOT_FETCH_SIZE: '11' });
    const model = T2;
    const log = pagingClient(3);
    for await (const page of new LogReader(log.client, cfg.cdcFetchSize).readWindow(model, [Buffer.alloc(16)], 0, 1000)) expect(page.rows).toEqual([]);
    expect(log.options.map((o) => [o.fetchSize, o.pageState])).toEqual([
      [7, undefined],
      [7, 'page-1'],
      [7, 'page-2'],
    ]);
    const snap = pagingClient(2);
    for await (const rows of new SnapshotReader(snap.client, cfg.snapshotFetchSize).readRange(model, 0n, 10n)) expect(rows).toEqual([]);
    expect(snap.options.map((o) => [o.fetchSize, o.pageState])).toEqual([
      [11, undefined],
      [11, 'page-1'],
    ]);
    expect(problemOf(() => source({ CDC_FETCH_SIZE: '100001' }))).toMatch(/^CDC_FETCH_SIZE: expected an integer <= 100000/);
    expect(problemOf(() => source({ SNAPSHOT_FETCH_SIZE: '0' }))).toMatch(/^SNAPSHOT_FETCH_SIZE: expected an integer >= 1/);
  });

  it("SOURCE_MAX_INFLIGHT_BYTES is the log reader's limit on uncommitted record bytes (default 4 MiB)", () => {
    const cfg = source({ SOURCE_MAX_INFLIGHT_BYTES: '1048576' });
    expect(new LogReader(pagingClient(1).client, cfg.cdcFetchSize, cfg.sourceMaxInflightBytes).inflight.limit).toBe(1_048_576);
    expect(source({}).sourceMaxInflightBytes).toBe(4_194_304);
    expect(problemOf(() => source({ SOURCE_MAX_INFLIGHT_BYTES: '1000' }))).toMatch(/^SOURCE_MAX_INFLIGHT_BYTES: expected an integer >= 65536/);
  });

  it('SOURCE_READ_CONCURRENCY is parsed within 1..256', () => {
    expect(source({ SOURCE_READ_CONCURRENCY: '9' }).sourceReadConcurrency).toBe(9);
    expect(problemOf(() => source({ SOURCE_READ_CONCURRENCY: '257' }))).toMatch(/^SOURCE_READ_CONCURRENCY: expected an integer <= 256/);
  });

  describe('SCHEMA_REGISTRY_TIMEOUT_MS', () => {
    let silent: Server | undefined;
    afterAll(() => new Promise<void>((r) => (silent ? silent.close(() => r()) : r())));

    it('ends a registry call that gets no answer, naming the variable', async () => {
      silent = createServer(() => undefined); // accepts, never answers
      silent.keepAliveTimeout = 0;
      await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', r));
      const cfg = loadSinkConfig({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, SCHEMA_REGISTRY_TIMEOUT_MS: '300' });
      expect(cfg.schemaRegistryTimeoutMs).toBe(300);
      const registry = new RegistryHttp(cfg);
      await expect(registry.fetch('/subjects')).rejects.toThrow('no answer in 300 ms (SCHEMA_REGISTRY_TIMEOUT_MS)');
      registry.close();
      silent.closeAllConnections();
      expect(problemOf(() => loadSinkConfig({ SCHEMA_REGISTRY_TIMEOUT_MS: '99' }))).toMatch(/^SCHEMA_REGISTRY_TIMEOUT_MS: expected an integer >= 100/);
    });
  });
});
