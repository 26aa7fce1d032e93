/**
 * Routes CDC log reads to a replica that owns the stream.
 *
 * The log table uses Scylla's CDCPartitioner (token = first 8 bytes of `cdc$stream_id`, big-endian
 * signed), while the driver hashes routing keys with Murmur3: its TokenAwarePolicy would pick the
 * wrong replicas and every read would cost an extra hop (ScyllaDB cdc/cdc_partitioner.cc). This policy takes
 * the stream id from the query's `routingKey`, computes the CDC token and asks the driver's ring
 * metadata for that token's replicas; the rest of the local-DC plan follows as fallback.
 * It is installed only on the log-read execution profile.
 */
import cassandra from 'cassandra-driver';
import { streamToken } from './core/log-row.js';

type Host = cassandra.Host;
type Client = cassandra.Client;
type HostMap = cassandra.HostMap;
type ExecutionOptions = cassandra.ExecutionOptions;

interface TokenizerLike {
  parse?: (value: string) => unknown;
}

export class CdcPartitionerPolicy extends cassandra.policies.loadBalancing.LoadBalancingPolicy {
  private readonly child: cassandra.policies.loadBalancing.LoadBalancingPolicy;
  private clientRef: Client | undefined;
  /** Counts how plans were made, for tests and debug logs. */
  readonly stats = { routed: 0, fallback: 0 };

  constructor(localDc: string) {
    super();
    this.child = new cassandra.policies.loadBalancing.DCAwareRoundRobinPolicy(localDc);
  }

  override init(client: Client, hosts: HostMap, callback: (err: Error) => void): void {
    this.clientRef = client;
    this.child.init(client, hosts, callback);
  }

  override getDistance(host: Host): cassandra.types.distance {
    return this.child.getDistance(host);
  }

  override newQueryPlan(keyspace: string, options: ExecutionOptions | null, callback: (error: Error, iterator: Iterator<Host>) => void): void {
    // the driver's prepare path asks for a plan without execution options
    const replicas = options ? this.replicasFor(options.getKeyspace() || keyspace, options.getRoutingKey()) : [];
    this.child.newQueryPlan(keyspace, options as ExecutionOptions, (err, childPlan) => {
      if (err || replicas.length === 0) {
        this.stats.fallback++;
        callback(err, childPlan);
        return;
      }
      this.stats.routed++;
      const first = replicas.filter((h) => h.isUp() && this.child.getDistance(h) === cassandra.types.distance.local);
      const seen = new Set(first.map((h) => h.address));
      // rotate so that concurrent reads of one stream do not all hit the same replica
      const start = first.length > 0 ? Math.floor(Math.random() * first.length) : 0;
      const ordered = [...first.slice(start), ...first.slice(0, start)];
      function* plan(): Generator<Host> {
        yield* ordered;
        for (let n = childPlan.next(); !n.done; n = childPlan.next()) {
          if (!seen.has(n.value.address)) yield n.value;
        }
      }
      callback(err, plan());
    });
  }

  private replicasFor(keyspace: string | undefined, routingKey: Buffer | Buffer[] | undefined): Host[] {
    const client = this.clientRef;
    if (!client || !keyspace || !Buffer.isBuffer(routingKey)) return [];
    return streamReplicas(client, keyspace, routingKey);
  }
}

/** The replicas of a log partition (its CDC token), from the driver's ring metadata; [] if unknown. */
export function streamReplicas(client: Client, keyspace: string, streamId: Uint8Array): Host[] {
  if (streamId.length < 8) return [];
  const tokenizer = (client.metadata as unknown as { tokenizer?: TokenizerLike }).tokenizer;
  if (!tokenizer?.parse) return [];
  try {
    const token = tokenizer.parse(streamToken(streamId).toString());
    const hosts = client.getReplicas(keyspace, token as Buffer) as Host[] | null;
    return hosts ?? [];
  } catch {
    return []; // ring metadata not loaded yet: the child policy still gives a valid plan
  }
}

/** The replica set of a log partition as one string (addresses, sorted), or null when unknown. */
export function replicaSetKey(client: Client, keyspace: string, streamId: Uint8Array): string | null {
  const hosts = streamReplicas(client, keyspace, streamId);
  return hosts.length === 0
    ? null
    : hosts
        .map((h) => h.address)
        .sort()
        .join(',');
}
