/**
 * The source decodes CQL maps as JS Maps (scylla-session.ts); cassandra-driver 4.10 then read a
 * keyspace's `replication` map as if it were a plain object, found no strategy, and placed every
 * token on its primary replica only. Guards patches/cassandra-driver+4.10.0.patch (applied by
 * patch-package on install) and the source's check for an install without it.
 */
import { createRequire } from 'node:module';
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { keyspacesWithoutReplication } from '../../../src/source/scylla-session.js';

const require = createRequire(import.meta.url);
type Keyspace = { strategy?: string; strategyOptions?: Record<string, string> };
const schemaParser = require('cassandra-driver/lib/metadata/schema-parser.js') as {
  getByVersion(options: unknown, cc: unknown, udtResolver: unknown, version: number[]): { _parseKeyspace(row: Record<string, unknown>): Keyspace };
};

const row = (replication: unknown) => ({ keyspace_name: 'ks', durable_writes: true, replication });

describe('keyspace replication with encoding.map = Map (cassandra-driver, patched on install)', () => {
  it('reads the strategy and its options from a Map', () => {
    const parser = schemaParser.getByVersion({ encoding: { map: Map } }, null, null, [4, 0, 0]);
    const ks = parser._parseKeyspace(
      row(
        new Map([
          ['class', 'org.apache.cassandra.locator.SimpleStrategy'],
          ['replication_factor', '2'],
        ]),
      ),
    );
    expect(ks).toMatchObject({ strategy: 'org.apache.cassandra.locator.SimpleStrategy', strategyOptions: { replication_factor: '2' } });
  });

  it('still reads a plain object (default encoding)', () => {
    const parser = schemaParser.getByVersion({ encoding: {} }, null, null, [4, 0, 0]);
    const ks = parser._parseKeyspace(row({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', datacenter1: '3' }));
    expect(ks).toMatchObject({ strategy: 'org.apache.cassandra.locator.NetworkTopologyStrategy', strategyOptions: { datacenter1: '3' } });
  });

  it('the source names the keyspaces the driver holds without a strategy', () => {
    const client = { metadata: { keyspaces: { good: { strategy: 'x' }, bad: { strategy: undefined } } } } as unknown as cassandra.Client;
    expect(keyspacesWithoutReplication(client, ['good', 'bad', 'bad', 'unknown'])).toEqual(['bad']);
  });
});
