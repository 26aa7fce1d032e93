/**
 * The local stack without Docker (README, "Local stack"): Apache Kafka 3.9 (KRaft, one
 * node), Apicurio Registry 3 (Confluent-compatible API), the Scylla emulator, and the machine's
 * PostgreSQL. Jars come from Maven Central through the small poms in tools/, cached in ~/.m2.
 *
 * Every operation is idempotent: `up` on a running stack is a no-op, `down` on a stopped one is
 * fine. State, pids and logs live in .stack/ (git-ignored). A port held by something that is not
 * ours is reported, never killed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STATE_DIR = process.env.STACK_DIR ?? join(ROOT, '.stack');

export const PORTS = { kafka: 9092, kafkaController: 9093, registry: 8081, scylla: 9042, postgres: 5432 } as const;
export const ENDPOINTS = {
  kafka: `127.0.0.1:${PORTS.kafka}`,
  registry: `http://127.0.0.1:${PORTS.registry}/apis/ccompat/v7`,
  scylla: `127.0.0.1:${PORTS.scylla}`,
  postgres: `postgres://postgres@127.0.0.1:${PORTS.postgres}/warehouse`,
};

type Log = (line: string) => void;
export interface StackOptions {
  log?: Log;
  /** Components to act on; default all. */
  only?: ComponentName[];
}
export type ComponentName = 'postgres' | 'kafka' | 'registry' | 'scylla';
export const ALL_COMPONENTS: ComponentName[] = ['postgres', 'kafka', 'registry', 'scylla'];

export class StackError extends Error {}

// ---------- process helpers ----------

function pidFile(name: string): string {
  return join(STATE_DIR, name, 'pid');
}

function readPid(name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // no pid file: not started by us
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Our process is running when the recorded pid is alive and its command line is the one we started. */
function runningPid(name: string, marker: string): number | undefined {
  const pid = readPid(name);
  if (pid === undefined || !alive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker) ? pid : undefined;
  } catch {
    return undefined; // /proc entry vanished: the process just exited
  }
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile?: string, pid?: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (pid !== undefined && !alive(pid)) {
      exited = true;
      break;
    }
    await sleep(500);
  }
  const tail = logFile && existsSync(logFile) ? `\n--- last lines of ${logFile} ---\n${readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')}` : '';
  throw new StackError(exited ? `${what} exited during start-up${tail}` : `${what} not ready after ${Math.round(timeoutMs / 1000)} s${tail}`);
}

function spawnDetached(name: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const dir = join(STATE_DIR, name);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  if (child.pid === undefined) throw new StackError(`could not start ${name} (${command})`);
  child.unref();
  writeFileSync(pidFile(name), String(child.pid));
  return child.pid;
}

async function stopPid(name: string, pid: number, log: Log): Promise<void> {
  log(`${name}: stopping pid ${pid}`);
  try {
    process.kill(-pid, 'SIGTERM'); // the process group: java and any children
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone between the check and the signal; nothing to stop
    }
  }
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await sleep(250);
  if (alive(pid)) {
    log(`${name}: did not stop in 30 s, killing`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
  rmSync(pidFile(name), { force: true });
}

async function ensurePortFree(name: string, port: number): Promise<void> {
  if (await portOpen(port)) {
    throw new StackError(`${name}: port ${port} is taken by another process (not started by this stack). Stop it or free the port; see \`ss -ltnp 'sport = :${port}'\`.`);
  }
}

function mvn(args: string[], log: Log): void {
  log(`mvn ${args.join(' ')}`);
  try {
    execFileSync('mvn', ['-B', '-q', ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    throw new StackError(`Maven failed (mvn ${args.join(' ')}): ${(err as Error).message}. Maven Central must be reachable on a fresh machine.`);
  }
}

// ---------- PostgreSQL ----------

async function upPostgres(log: Log): Promise<boolean> {
  let started = false;
  if (!(await portOpen(PORTS.postgres))) {
    log('postgres: not running, starting the cluster');
    const versions = execFileSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).trim().split(/\s+/);
    const version = versions.sort().at(-1);
    if (!version) throw new StackError('postgres: no cluster under /etc/postgresql');
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
    await waitFor('postgres', () => portOpen(PORTS.postgres), 60_000);
    started = true;
  }
  const exists = execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-tAc', "SELECT 1 FROM pg_database WHERE datname = 'warehouse'"], {
    encoding: 'utf8',
  }).trim();
  if (exists !== '1') {
    log('postgres: creating database warehouse');
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', 'CREATE DATABASE warehouse'], { stdio: 'inherit' });
  }
  const registryDb = execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-tAc', "SELECT 1 FROM pg_database WHERE datname = 'apicurio'"], {
    encoding: 'utf8',
  }).trim();
  if (registryDb !== '1') {
    execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', 'CREATE DATABASE apicurio'], { stdio: 'inherit' });
  }
  return started;
}

// ---------- Kafka ----------

const KAFKA_MARKER = 'kafka.Kafka';
const KAFKA_LIBS = join(ROOT, 'tools/kafka/target/libs');

/** Single-node settings for tests (also used by tests' private brokers, test/helpers/kafka-broker.ts). */
export const KAFKA_TEST_TUNING = [
  'num.partitions=1',
  'auto.create.topics.enable=false',
  'offsets.topic.replication.factor=1',
  'offsets.topic.num.partitions=1',
  'transaction.state.log.replication.factor=1',
  'transaction.state.log.min.isr=1',
  'transaction.state.log.num.partitions=1',
  'group.initial.rebalance.delay.ms=0',
];

export function kafkaClasspath(log: Log): string {
  if (!existsSync(join(KAFKA_LIBS, '.complete'))) {
    mvn(['-f', 'tools/kafka/pom.xml', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${KAFKA_LIBS}`], log);
    writeFileSync(join(KAFKA_LIBS, '.complete'), new Date().toISOString());
  }
  return `${KAFKA_LIBS}/*`;
}

/** Writes a single-node KRaft broker's config into `dir`; other ports let tests run their own broker. */
export function writeKafkaConfig(
  dir: string,
  ports: { kafka: number; controller: number } = { kafka: PORTS.kafka, controller: PORTS.kafkaController },
): { props: string; log4j: string } {
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j.properties');
  // Tuned for tests (README, "Local stack"): one partition for internal topics, no rebalance delay,
  // transactions on a single broker, no auto-creation (kafkajs#1563: explicit createTopics only).
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${ports.controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      ...KAFKA_TEST_TUNING,
      'transaction.max.timeout.ms=900000',
      'log.retention.hours=24',
      'log.segment.bytes=67108864',
      'delete.topic.enable=true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaRaftServer=INFO',
      '',
    ].join('\n'),
  );
  return { props, log4j };
}

/** Formats a broker's storage (once per data dir). */
export function formatKafkaStorage(cp: string, props: string, log4j: string): void {
  // A fixed cluster id: 22 chars of base64url (16 bytes), any value works for a single node.
  execFileSync('java', ['-cp', cp, `-Dlog4j.configuration=file:${log4j}`, 'kafka.tools.StorageTool', 'format', '-t', 'c2N5bGxhLXBnLWNkYy1zdA', '-c', props, '--ignore-formatted'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The broker's java command line (the marker `kafka.Kafka` identifies the process). */
export function kafkaJavaArgs(cp: string, props: string, log4j: string, dir: string): string[] {
  return [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4j}`,
    `-Dkafka.logs.dir=${dir}`,
    '-cp',
    cp,
    KAFKA_MARKER,
    props,
  ];
}

export async function kafkaReady(port: number = PORTS.kafka): Promise<boolean> {
  if (!(await portOpen(port))) return false;
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ clientId: 'stack-check', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false; // not ready yet; the caller polls
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function upKafka(log: Log): Promise<boolean> {
  if (runningPid('kafka', KAFKA_MARKER) !== undefined) {
    log('kafka: already running');
    await waitFor('kafka', () => kafkaReady(), 60_000, join(STATE_DIR, 'kafka', 'kafka.log'));
    return false;
  }
  await ensurePortFree('kafka', PORTS.kafka);
  await ensurePortFree('kafka controller', PORTS.kafkaController);
  const cp = kafkaClasspath(log);
  const dir = join(STATE_DIR, 'kafka');
  mkdirSync(dir, { recursive: true });
  const { props, log4j } = writeKafkaConfig(dir);
  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    log('kafka: formatting storage');
    formatKafkaStorage(cp, props, log4j);
  }
  log('kafka: starting');
  const pid = spawnDetached('kafka', 'java', kafkaJavaArgs(cp, props, log4j, dir), dir);
  await waitFor('kafka', () => kafkaReady(), 120_000, join(dir, 'kafka.log'), pid);
  log(`kafka: ready on ${ENDPOINTS.kafka}`);
  return true;
}

// ---------- Apicurio Registry ----------

const REGISTRY_DIR = join(ROOT, 'tools/apicurio/target');
const REGISTRY_APP = join(REGISTRY_DIR, 'app');
// 3.0.x is built for Java 11+ and runs on the machines' default Java 17 (3.1+ needs Java 21).
// Fetched with `dependency:copy` rather than a pom: the artifact's parent pom for 3.0.9 is not on
// Maven Central, which makes the pom-driven `unpack` goal fail while a plain copy works.
const REGISTRY_VERSION = '3.0.9';
// 3.0.x ships a legacy-jar runner; the name carries the version so the marker finds our process.
const REGISTRY_MARKER = `apicurio-registry-app-${REGISTRY_VERSION}-runner.jar`;

async function registryReady(): Promise<boolean> {
  try {
    const res = await fetch(`${ENDPOINTS.registry}/subjects`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false; // connection refused while booting
  }
}

async function upRegistry(log: Log): Promise<boolean> {
  if (runningPid('registry', REGISTRY_MARKER) !== undefined) {
    log('registry: already running');
    await waitFor('registry', registryReady, 120_000, join(STATE_DIR, 'registry', 'registry.log'));
    return false;
  }
  await ensurePortFree('registry', PORTS.registry);
  if (!existsSync(join(REGISTRY_APP, REGISTRY_MARKER))) {
    mvn(['dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${REGISTRY_VERSION}:tar.gz:all`, `-DoutputDirectory=${REGISTRY_DIR}`], log);
    mkdirSync(REGISTRY_APP, { recursive: true });
    execFileSync('tar', ['xzf', join(REGISTRY_DIR, `apicurio-registry-app-${REGISTRY_VERSION}-all.tar.gz`), '-C', REGISTRY_APP], { stdio: 'inherit' });
  }
  const dir = join(STATE_DIR, 'registry');
  mkdirSync(dir, { recursive: true });
  log('registry: starting Apicurio');
  // Stored in the local PostgreSQL (database `apicurio`) rather than the default in-memory H2, so
  // schema ids stay valid across stack restarts while Kafka still holds records that use them.
  const pid = spawnDetached(
    'registry',
    'java',
    [
      '-Xms128m',
      '-Xmx384m',
      '-XX:+UseSerialGC',
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${PORTS.registry}`,
      '-Dapicurio.storage.kind=sql',
      '-Dapicurio.storage.sql.kind=postgresql',
      `-Dapicurio.datasource.url=jdbc:postgresql://127.0.0.1:${PORTS.postgres}/apicurio`,
      '-Dapicurio.datasource.username=postgres',
      '-Dapicurio.datasource.password=postgres',
      '-Dquarkus.log.level=WARN',
      '-Dquarkus.http.access-log.enabled=false',
      '-jar',
      join(REGISTRY_APP, REGISTRY_MARKER),
    ],
    dir,
  );
  await waitFor('registry', registryReady, 180_000, join(dir, 'registry.log'), pid);
  log(`registry: ready on ${ENDPOINTS.registry}`);
  return true;
}

// ---------- Scylla emulator ----------

const SCYLLA_MAIN = join(ROOT, 'test/support/scylla-emulator/main.ts');
const SCYLLA_MARKER = 'scylla-emulator/main.ts';

async function upScylla(log: Log): Promise<boolean> {
  if (!existsSync(SCYLLA_MAIN)) {
    log('scylla: emulator not present in this checkout, skipped');
    return false;
  }
  if (runningPid('scylla', SCYLLA_MARKER) !== undefined) {
    log('scylla: already running');
    await waitFor('scylla', () => portOpen(PORTS.scylla), 30_000, join(STATE_DIR, 'scylla', 'scylla.log'));
    return false;
  }
  await ensurePortFree('scylla', PORTS.scylla);
  const dir = join(STATE_DIR, 'scylla');
  mkdirSync(dir, { recursive: true });
  log('scylla: starting the emulator');
  const args = ['--import', 'tsx', SCYLLA_MAIN, '--port', String(PORTS.scylla), '--detached'];
  if (process.env.STACK_SCYLLA_ARGS) args.push(...process.env.STACK_SCYLLA_ARGS.split(/\s+/).filter(Boolean));
  const pid = spawnDetached('scylla', process.execPath, args, ROOT);
  await waitFor('scylla', async () => /^ready \d+$/m.test(readLog('scylla')) && (await portOpen(PORTS.scylla)), 60_000, join(dir, 'scylla.log'), pid);
  log(`scylla: emulator ready on ${ENDPOINTS.scylla}`);
  return true;
}

function readLog(name: string): string {
  try {
    return readFileSync(join(STATE_DIR, name, `${name}.log`), 'utf8');
  } catch {
    return '';
  }
}

// ---------- public API ----------

const UP: Record<ComponentName, (log: Log) => Promise<boolean>> = { postgres: upPostgres, kafka: upKafka, registry: upRegistry, scylla: upScylla };
const MARKERS: Partial<Record<ComponentName, string>> = { kafka: KAFKA_MARKER, registry: REGISTRY_MARKER, scylla: SCYLLA_MARKER };

/** Starts whatever is not running; returns the components this call started. */
export async function ensureStack(options: StackOptions = {}): Promise<{ started: ComponentName[] }> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const started: ComponentName[] = [];
  mkdirSync(STATE_DIR, { recursive: true });
  // PostgreSQL first: the registry stores its schemas there.
  for (const name of options.only ?? ALL_COMPONENTS) {
    if (await UP[name](log)) started.push(name);
  }
  return { started };
}

/** Stops what this stack started (never the machine's PostgreSQL). */
export async function stopStack(options: StackOptions = {}): Promise<void> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const names = (options.only ?? ALL_COMPONENTS).filter((n) => n !== 'postgres').reverse();
  for (const name of names) {
    const pid = runningPid(name, MARKERS[name]!);
    if (pid === undefined) {
      log(`${name}: not running`);
      rmSync(pidFile(name), { force: true });
      continue;
    }
    await stopPid(name, pid, log);
  }
}

export interface ComponentStatus {
  name: ComponentName;
  pid?: number;
  endpoint: string;
  up: boolean;
}

export async function stackStatus(): Promise<ComponentStatus[]> {
  return [
    { name: 'postgres', endpoint: ENDPOINTS.postgres, up: await portOpen(PORTS.postgres) },
    { name: 'kafka', pid: runningPid('kafka', KAFKA_MARKER), endpoint: ENDPOINTS.kafka, up: await kafkaReady() },
    { name: 'registry', pid: runningPid('registry', REGISTRY_MARKER), endpoint: ENDPOINTS.registry, up: await registryReady() },
    { name: 'scylla', pid: runningPid('scylla', SCYLLA_MARKER), endpoint: ENDPOINTS.scylla, up: await portOpen(PORTS.scylla) },
  ];
}
