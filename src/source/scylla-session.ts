/**
 * The cassandra-driver client the source uses: DC-aware, with collections decoded as Map/Set
 * (keeps map key types and server order, which list element keys depend on), and an execution
 * profile for log reads routed by the CDC partitioner.
 */
import cassandra from 'cassandra-driver';
import { scyllaConnectionOptions, type ScyllaConnectionSettings } from '../clients/scylla.js';
import { CdcPartitionerPolicy } from './cdc-partitioner-policy.js';
import { ResponseBytes } from './response-bytes.js';

export const LOG_PROFILE = 'cdc-log';

export type ConsistencyName = 'ONE' | 'LOCAL_ONE' | 'QUORUM' | 'LOCAL_QUORUM' | 'ALL';

export interface ScyllaSettings extends ScyllaConnectionSettings {
  scyllaConsistency: ConsistencyName;
  scyllaRequestTimeoutMs: number;
}

const CONSISTENCIES: Record<ConsistencyName, cassandra.types.consistencies> = {
  ONE: cassandra.types.consistencies.one,
  LOCAL_ONE: cassandra.types.consistencies.localOne,
  QUORUM: cassandra.types.consistencies.quorum,
  LOCAL_QUORUM: cassandra.types.consistencies.localQuorum,
  ALL: cassandra.types.consistencies.all,
};

export function consistencyOf(name: ConsistencyName): cassandra.types.consistencies {
  return CONSISTENCIES[name] ?? cassandra.types.consistencies.localQuorum;
}

/** The client carries a ResponseBytes tracker: the log reader takes each page's size from it. */
export function createScyllaClient(s: ScyllaSettings): { client: cassandra.Client; policy: CdcPartitionerPolicy } {
  const policy = new CdcPartitionerPolicy(s.scyllaLocalDc);
  return { client: new cassandra.Client({ ...scyllaClientOptions(s, policy), requestTracker: new ResponseBytes() }), policy };
}

/** The source client's options (pure, so a test can see each setting land where the driver reads it). */
export function scyllaClientOptions(s: ScyllaSettings, policy: CdcPartitionerPolicy): cassandra.DseClientOptions {
  return {
    ...scyllaConnectionOptions(s),
    encoding: { map: Map, set: Set, useBigIntAsLong: false, useBigIntAsVarint: false },
    socketOptions: { readTimeout: s.scyllaRequestTimeoutMs, connectTimeout: 5000 },
    queryOptions: { consistency: consistencyOf(s.scyllaConsistency), prepare: true },
    // Reconnect forever with a capped backoff: an unreachable cluster is a wait, not a crash.
    policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 10_000, false) },
    profiles: [
      new cassandra.ExecutionProfile(LOG_PROFILE, {
        loadBalancing: policy as unknown as cassandra.policies.loadBalancing.LoadBalancingPolicy,
        consistency: consistencyOf(s.scyllaConsistency),
      }),
    ],
  };
}

/** Generation tables are read at QUORUM on multi-node clusters and ONE on a single node (as all readers do). */
export async function systemReadConsistency(client: cassandra.Client): Promise<cassandra.types.consistencies> {
  try {
    const rs = await client.execute('SELECT COUNT(*) FROM system.peers', [], { prepare: false });
    const peers = Number(rs.first()?.get(0) ?? 0);
    return peers + 1 >= 2 ? cassandra.types.consistencies.quorum : cassandra.types.consistencies.one;
  } catch {
    return cassandra.types.consistencies.one;
  }
}

/**
 * Keyspaces whose replication the driver does not know. cassandra-driver 4.10 reads
 * `system_schema.keyspaces.replication` as a plain object; with `encoding.map = Map` (above) it got
 * a Map, found no strategy and placed every token on its primary replica only, so log reads never
 * spread over the replicas and went to a non-replica when the primary was down.
 * patches/cassandra-driver+4.10.0.patch fixes it; an install that skipped the patch is reported.
 */
export function keyspacesWithoutReplication(client: cassandra.Client, keyspaces: string[]): string[] {
  const known = (client.metadata as unknown as { keyspaces?: Record<string, { strategy?: string } | undefined> }).keyspaces ?? {};
  return [...new Set(keyspaces)].filter((k) => known[k] !== undefined && !known[k]!.strategy);
}
