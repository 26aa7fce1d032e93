/**
 * Connection options shared by every cassandra-driver client (source, reconcile, health):
 * contact points, authentication and TLS.
 *
 * cassandra-driver leaves `rejectUnauthorized` false unless told (lib/connection.js extends the
 * user's sslOptions over `{ rejectUnauthorized: false }`), so an unverified server would receive the
 * CQL and then the password. Here it is always true, and the host check is explicit: the node's
 * address by default, or SCYLLA_SSL_SERVERNAME for certificates issued to one cluster name.
 */
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import cassandra from 'cassandra-driver';
import { tlsMaterial } from './tls-material.js';

export interface ScyllaConnectionSettings {
  scyllaContactPoints: { host: string; port: number }[];
  scyllaLocalDc: string;
  scyllaUsername?: string | undefined;
  scyllaPassword?: string | undefined;
  scyllaSsl: boolean;
  scyllaSslCa?: string | undefined;
  scyllaSslCert?: string | undefined;
  scyllaSslKey?: string | undefined;
  scyllaSslServername?: string | undefined;
}

export function scyllaSslOptions(s: ScyllaConnectionSettings): ConnectionOptions | undefined {
  if (!s.scyllaSsl) return undefined;
  const name = s.scyllaSslServername;
  return {
    ...tlsMaterial('SCYLLA_SSL', { ca: s.scyllaSslCa, cert: s.scyllaSslCert, key: s.scyllaSslKey }),
    rejectUnauthorized: true,
    ...(name !== undefined ? { servername: name, checkServerIdentity: (_host: string, cert) => checkServerIdentity(name, cert) } : {}),
  };
}

type DriverConnectionOptions = Pick<cassandra.DseClientOptions, 'contactPoints' | 'localDataCenter' | 'authProvider' | 'sslOptions' | 'protocolOptions'>;

/**
 * The driver reaches the nodes it learns from `system.peers` on `protocolOptions.port` (9042 unless
 * set; lib/control-connection.js `setPeersInfo`), not on the contact point's port, and ScyllaDB's
 * `system.peers` carries no port. Every node of a cluster listens on the same native port, so the
 * first contact point's port is the one the other nodes are reached on: without this, a cluster on
 * another port would be used through its contact points only, and reads could not go to the
 * replica that owns their data.
 */
export function scyllaConnectionOptions(s: ScyllaConnectionSettings): DriverConnectionOptions {
  const options: DriverConnectionOptions = {
    contactPoints: s.scyllaContactPoints.map((p) => `${p.host}:${p.port}`),
    localDataCenter: s.scyllaLocalDc,
  };
  const port = s.scyllaContactPoints[0]?.port;
  if (port !== undefined) options.protocolOptions = { port };
  if (s.scyllaUsername !== undefined) options.authProvider = new cassandra.auth.PlainTextAuthProvider(s.scyllaUsername, s.scyllaPassword ?? '');
  const ssl = scyllaSslOptions(s);
  if (ssl) options.sslOptions = ssl;
  return options;
}
