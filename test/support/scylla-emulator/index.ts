// In-process API: start an emulator on 127.0.0.1 (port 0 = any free port) and drive its
// control surface (generations, tablets, faults, bulk writes) directly.
import { randomUUID } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import { Engine, type EngineOptions } from './engine.js';
import { CqlServer } from './server.js';
import type { FaultConfig, Faults } from './faults.js';
import { bulkWrite, type BulkWriteOptions } from './bulk.js';
import type { StreamSet } from './cdc/tablets.js';
import { ReadTrace, type PartitionRead } from './read-trace.js';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  tablets?: boolean;
  vnodes?: number;
  shards?: number;
  initialTablets?: number;
  firstGenerationDelayMs?: number;
  /** Hosts to serve (default 1): 127.0.0.1 … 127.0.0.n on one port, each owning every n-th vnode token. */
  hosts?: number;
  /** Pre-image for a partition delete in a table without clustering key, as ScyllaDB 2026.1+ (default true; false = older versions). */
  noCkDeletePreimage?: boolean;
  /** Per-row TTL pass period in ms (ScyllaDB: alternator_ttl_period_in_seconds, 24 h by default); 0 = never. */
  rowTtlPeriodMs?: number;
  /** Tablets: a write within this many ms of a stream-set switch is logged in the old and the new stream (default 2000, 0 = off). */
  switchDuplicateMs?: number;
  faults?: FaultConfig;
  /** Serve CQL over TLS (tests of the clients' TLS settings); plain TCP when absent. */
  tls?: TlsOptions;
  /** Require these credentials (PasswordAuthenticator); no authentication when absent. */
  auth?: { username: string; password: string };
}

export interface EmulatorHandle {
  port: number;
  host: string;
  contactPoint: string;
  engine: Engine;
  faults: Faults;
  /** A new vnode generation at now + delayMs, as when a node bootstraps. Returns its timestamp (ms). */
  addNode(opts?: { delayMs?: number; vnodes?: number }): number;
  splitTablet(keyspace: string, table: string, opts?: { delayMs?: number }): StreamSet;
  mergeTablets(keyspace: string, table: string, opts?: { delayMs?: number }): StreamSet;
  bulkWrite(opts: BulkWriteOptions): number;
  /** One server per host (index 0 = `host`); executeCount per server shows where requests went. */
  servers: CqlServer[];
  /** Stops host i listening and drops its connections, as when a node goes down. */
  stopHost(i: number): Promise<void>;
  /**
   * From now on, notes every SELECT naming full partition keys of a matching table, with the host
   * that served it and the partitions' tokens (read-trace.ts); returns the growing list.
   */
  traceReads(match: (keyspace: string, table: string) => boolean): PartitionRead[];
  dropConnections(): number;
  /** CQL frames, TLS sessions and credentials received so far: what a refused client sent (nothing). */
  traffic(): { frames: number; tlsSessions: number; credentials: { username: string; password: string }[] };
  close(): Promise<void>;
}

export function defaultEngineOptions(o: EmulatorOptions = {}): EngineOptions {
  return {
    seed: o.seed ?? 1,
    tablets: o.tablets ?? false,
    vnodes: o.vnodes ?? 8,
    shards: o.shards ?? 2,
    initialTablets: o.initialTablets ?? 4,
    firstGenerationDelayMs: o.firstGenerationDelayMs ?? -1000,
    hostId: randomUUID(),
    address: o.host ?? '127.0.0.1',
    switchDuplicateMs: o.switchDuplicateMs ?? 2000,
    noCkDeletePreimage: o.noCkDeletePreimage ?? true,
  };
}

export async function startEmulator(o: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = o.host ?? '127.0.0.1';
  const engine = new Engine(defaultEngineOptions({ ...o, host }));
  if (o.faults) engine.faults.set(o.faults);
  const n = o.hosts ?? 1;
  const addresses = n > 1 ? Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`) : [host];
  if (n > 1) engine.setHosts(addresses);
  const servers = addresses.map((_, i) => new CqlServer(engine, i, o.tls, o.auth));
  const server = servers[0]!;
  const port = await server.listen(o.port ?? 0, addresses[0]!);
  for (let i = 1; i < n; i++) await servers[i]!.listen(port, addresses[i]!);
  const dropAll = (): number => servers.reduce((k, s) => k + s.dropAll(), 0);
  engine.faults.dropAllConnections = dropAll;
  const period = o.rowTtlPeriodMs ?? 1000;
  const ttlTimer =
    period > 0
      ? setInterval(() => {
          engine.expireRows();
        }, period)
      : null;
  ttlTimer?.unref();
  return {
    port,
    host,
    contactPoint: `${host}:${port}`,
    engine,
    faults: engine.faults,
    addNode: (a = {}) => engine.addNode(a.delayMs ?? 60_000, a.vnodes),
    splitTablet: (ks, t, a = {}) => engine.tablets.split(engine.catalog.table(ks, t), Date.now(), a.delayMs ?? 0),
    mergeTablets: (ks, t, a = {}) => engine.tablets.merge(engine.catalog.table(ks, t), Date.now(), a.delayMs ?? 0),
    bulkWrite: (b) => bulkWrite(engine, b),
    dropConnections: dropAll,
    servers,
    stopHost: (i) => servers[i]!.close(),
    traceReads: (match) => (engine.readTrace = new ReadTrace(match)).reads,
    traffic: () => ({
      frames: servers.reduce((k, s) => k + s.requestCount, 0),
      tlsSessions: servers.reduce((k, s) => k + s.tlsSessions, 0),
      credentials: servers.flatMap((s) => [...s.credentialsSeen]),
    }),
    close: async () => {
      if (ttlTimer) clearInterval(ttlTimer);
      for (const s of servers) await s.close();
    },
  };
}

export { Engine } from './engine.js';
export type { FaultConfig } from './faults.js';
export type { BulkWriteOptions } from './bulk.js';
export type { PartitionRead } from './read-trace.js';
