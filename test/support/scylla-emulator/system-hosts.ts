// Several emulated hosts in one process (issue point 12): each listens on its own loopback
// address with the same port, owns every n-th vnode token, and answers system.local / system.peers
// from its own point of view, so a driver builds a three-node token map and routes by it. All
// hosts serve the one shared store, as if every keyspace were replicated everywhere.
import { randomUUID } from 'node:crypto';
import type { Catalog } from './schema/catalog.js';
import { putRow, writeLocalRows, type LocalInfo } from './system-tables.js';

export function splitHosts(first: LocalInfo, tokens: bigint[], addresses: string[]): LocalInfo[] {
  return addresses.map((address, i) => ({
    hostId: i === 0 ? first.hostId : randomUUID(),
    address,
    tokens: tokens.filter((_, j) => j % addresses.length === i).map(String),
  }));
}

/** Rewrites system.local and system.peers as host `self` reports them. */
export function viewFromHost(catalog: Catalog, hosts: LocalInfo[], self: number): void {
  const me = hosts[self] ?? hosts[0]!;
  writeLocalRows(catalog, me);
  const peers = catalog.findTable('system', 'peers')!;
  peers.store.clear();
  for (const h of hosts) {
    if (h === me) continue;
    putRow(peers, {
      peer: h.address,
      data_center: 'datacenter1',
      host_id: h.hostId,
      preferred_ip: h.address,
      rack: 'rack1',
      release_version: '3.0.8',
      rpc_address: h.address,
      schema_version: catalog.schemaVersion,
      supported_features: 'CDC,CDC_GENERATIONS_V2,TABLETS',
      tokens: h.tokens,
    });
  }
}

/**
 * NetworkTopologyStrategy's `replication_factor` is expanded into one entry per datacenter when the
 * keyspace is created or altered (ScyllaDB cql3/statements/ks_prop_defs.cc `prepare_options`), so
 * `system_schema.keyspaces` and the drivers' replica maps name datacenters, here the only one.
 */
export function expandReplicationFactor(replication: [string, string][]): [string, string][] {
  const nts = replication.some(([k, v]) => k === 'class' && v.endsWith('NetworkTopologyStrategy'));
  const rf = replication.find(([k]) => k === 'replication_factor');
  if (!nts || !rf) return replication;
  const rest = replication.filter(([k]) => k !== 'replication_factor');
  return rest.some(([k]) => k === 'datacenter1') ? rest : [...rest, ['datacenter1', rf[1]]];
}

/**
 * system_distributed is created with SimpleStrategy RF 3 (db/system_distributed_keyspace.cc). The
 * emulator reports RF min(3, hosts): with fewer hosts than replicas, cassandra-driver's SimpleStrategy
 * replica map (metadata/schema-parser.js `tokenSimpleStrategy`) walks the whole ring for every token
 * looking for hosts that do not exist, O(tokens²): 18 s of CPU in every client at 25,600 vnode tokens
 * on one host. A real cluster has at least RF nodes and finds them within a few tokens.
 */
export function fitSystemDistributed(catalog: Catalog, hostCount: number): void {
  const ks = catalog.keyspaces.get('system_distributed');
  if (!ks) return;
  const rf = String(Math.min(3, Math.max(1, hostCount)));
  ks.replication = ks.replication.map(([k, v]) => [k, k === 'replication_factor' ? rf : v]);
}
