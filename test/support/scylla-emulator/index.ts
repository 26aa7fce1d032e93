// In-process API: start an emulator on 127.0.0.1 (port 0 = any free port) and drive its
// control surface (generations, tablets, faults, bulk writes) directly.
import { randomUUID } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import { Engine, type EngineOptions } from './engine.js';
import { CqlServer } from './server.js';
import type { FaultConfig, Faults } from './faults.js';
import { bulkWrite, type BulkWriteOptions } from './bulk.js';
import type { StreamSet } from './cdc/tablets.js';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  tablets?: boolean;
  vnodes?: number;
  shards?: number;
  initialTablets?: number;
  firstGenerationDelayMs?: number;
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
  };
}

export async function startEmulator(o: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const host = o.host ?? '127.0.0.1';
  const engine = new Engine(defaultEngineOptions({ ...o, host }));
  if (o.faults) engine.faults.set(o.faults);
  const server = new CqlServer(engine, o.tls, o.auth);
  const port = await server.listen(o.port ?? 0, host);
  return {
    port, host, contactPoint: `${host}:${port}`, engine, faults: engine.faults,
    addNode: (a = {}) => engine.addNode(a.delayMs ?? 60_000, a.vnodes),
    splitTablet: (ks, t, a = {}) => engine.tablets.split(engine.catalog.table(ks, t), Date.now(), a.delayMs ?? 0),
    mergeTablets: (ks, t, a = {}) => engine.tablets.merge(engine.catalog.table(ks, t), Date.now(), a.delayMs ?? 0),
    bulkWrite: (b) => bulkWrite(engine, b),
    dropConnections: () => server.dropAll(),
    traffic: () => ({ frames: server.requestCount, tlsSessions: server.tlsSessions, credentials: [...server.credentialsSeen] }),
    close: () => server.close(),
  };
}

export { Engine } from './engine.js';
export type { FaultConfig } from './faults.js';
export type { BulkWriteOptions } from './bulk.js';
