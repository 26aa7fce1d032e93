/**
 * The Kafka Connect baseline: a ConnectStandalone worker (Kafka 3.9.1) running the Debezium JDBC sink
 * with the Apicurio AvroConverter, configured the way our users' Kafka Connect pipelines run it
 * (upsert, record_key, auto create and evolve, batch.size 5000, DLQ topic), plus the Scylla
 * connector's flattening transform.
 *
 * Artifacts come from Maven Central through tools/connect/resolve.sh (cached in ~/.m2, unpacked into
 * tools/connect/target). The transform: ScyllaExtractNewRecordState when the Scylla connector's fat
 * jar resolves; otherwise the same semantics from Maven Central parts — Debezium's own
 * ExtractNewRecordState (which ScyllaExtractNewRecordState extends), then Kafka's Flatten$Value and
 * ReplaceField$Value to turn every `{value: X}` cell into a plain X column named like the Scylla column.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Workload } from '../workloads/types.js';
import { BenchChild } from './procs.js';
import { KAFKA_BROKERS, REGISTRY_V2_URL } from './kafka.js';
import { PG_URL } from './pg.js';
import { log } from './util.js';

export interface ArtifactStatus {
  name: string;
  artifact: string;
  resolved: boolean;
  error: string;
}

export function resolveConnect(repo: string): ArtifactStatus[] {
  const dir = join(repo, 'tools/connect');
  const statusFile = join(dir, 'target/resolve-status.json');
  log('resolving the Kafka Connect baseline from Maven Central (tools/connect/resolve.sh)');
  const r = spawnSync('bash', [join(dir, 'resolve.sh')], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(statusFile)) throw new Error(`tools/connect/resolve.sh failed: ${r.stderr || r.stdout}`);
  return JSON.parse(readFileSync(statusFile, 'utf8')) as ArtifactStatus[];
}

function jdbcUrl(): { url: string; user: string; password: string } {
  const u = new URL(PG_URL);
  return {
    url: `jdbc:postgresql://${u.hostname}:${u.port || '5432'}${u.pathname}`,
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
  };
}

const props = (o: Record<string, string | number | boolean>) =>
  `${Object.entries(o)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`;

export interface ConnectRun {
  child: BenchChild;
  transform: string;
  connectorConfig: Record<string, string | number | boolean>;
}

export function startConnect(opts: {
  repo: string;
  workDir: string;
  runId: string;
  topic: string;
  workload: Workload;
  pgSchema: string;
  tasks: number;
  batchSize: number;
  restPort: number;
  status: ArtifactStatus[];
  heap: string;
}): ConnectRun {
  const tdir = join(opts.repo, 'tools/connect/target');
  mkdirSync(opts.workDir, { recursive: true });
  const scyllaSmt = opts.status.find((s) => s.name === 'scylla-transform')?.resolved === true;
  const converter = (prefix: string) => ({
    [prefix]: 'io.apicurio.registry.utils.converter.AvroConverter',
    [`${prefix}.apicurio.registry.url`]: REGISTRY_V2_URL,
    // Confluent framing: magic byte + 4-byte id = Apicurio contentId, in the payload, not in headers.
    [`${prefix}.apicurio.registry.as-confluent`]: true,
    [`${prefix}.apicurio.registry.use-id`]: 'contentId',
    [`${prefix}.apicurio.registry.headers.enabled`]: false,
  });
  const worker = {
    'bootstrap.servers': KAFKA_BROKERS.join(','),
    ...converter('key.converter'),
    ...converter('value.converter'),
    'offset.storage.file.filename': join(opts.workDir, 'connect.offsets'),
    'offset.flush.interval.ms': 1000,
    'plugin.path': join(tdir, 'plugins'),
    listeners: `http://127.0.0.1:${opts.restPort}`,
    'rest.advertised.host.name': '127.0.0.1',
    // one put() per batch.size records, as the Debezium JDBC docs recommend
    'consumer.max.poll.records': opts.batchSize,
    'consumer.auto.offset.reset': 'earliest',
  };
  const regular = opts.workload.columns.filter((c) => c.kind === 'regular').map((c) => c.name);
  const transforms: Record<string, string | number | boolean> = scyllaSmt
    ? {
        transforms: 'unwrap',
        'transforms.unwrap.type': 'com.scylladb.cdc.debezium.connector.transforms.ScyllaExtractNewRecordState',
        'transforms.unwrap.delete.tombstone.handling.mode': 'tombstone',
      }
    : {
        transforms: 'unwrap,flatten,rename',
        'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
        'transforms.unwrap.delete.tombstone.handling.mode': 'tombstone',
        'transforms.flatten.type': 'org.apache.kafka.connect.transforms.Flatten$Value',
        'transforms.flatten.delimiter': '.',
        'transforms.rename.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
        'transforms.rename.renames': regular.map((c) => `${c}.value:${c}`).join(','),
        'transforms.rename.exclude': regular.flatMap((c) => [`${c}.mode`, `${c}.removed`, `${c}.list_keys`]).join(','),
      };
  const jdbc = jdbcUrl();
  const connector = {
    name: `${opts.runId}-postgres-sink`,
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': opts.tasks,
    topics: opts.topic,
    'connection.url': jdbc.url,
    'connection.username': jdbc.user,
    'connection.password': jdbc.password,
    'insert.mode': 'upsert',
    'delete.enabled': true,
    'primary.key.mode': 'record_key',
    'schema.evolution': 'basic',
    'collection.name.format': `${opts.pgSchema}.${opts.workload.table}`,
    'batch.size': opts.batchSize,
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': `${opts.runId}.dlq-postgres-sink`,
    'errors.deadletterqueue.topic.replication.factor': 1,
    'errors.deadletterqueue.context.headers.enable': true,
    ...transforms,
  };
  writeFileSync(join(opts.workDir, 'worker.properties'), props(worker));
  writeFileSync(join(opts.workDir, 'postgres-sink.properties'), props(connector));
  writeFileSync(
    join(opts.workDir, 'log4j.properties'),
    props({
      'log4j.rootLogger': 'INFO, stdout',
      'log4j.appender.stdout': 'org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout': 'org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern': '[%d] %p %m (%c)%n',
      'log4j.logger.org.apache.kafka.clients': 'WARN',
      'log4j.logger.org.reflections': 'ERROR',
    }),
  );
  const child = new BenchChild(
    'connect-jvm',
    'java',
    [
      `-Xms256m`,
      `-Xmx${opts.heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(opts.workDir, 'log4j.properties')}`,
      '-cp',
      `${join(tdir, 'runtime')}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      join(opts.workDir, 'worker.properties'),
      join(opts.workDir, 'postgres-sink.properties'),
    ],
    { cwd: opts.workDir, env: { ...process.env }, logFile: join(opts.workDir, 'connect.log') },
  );
  return {
    child,
    transform: scyllaSmt ? 'ScyllaExtractNewRecordState' : 'ExtractNewRecordState+Flatten$Value+ReplaceField$Value (Scylla SMT not resolvable)',
    connectorConfig: { ...connector, 'connection.password': jdbc.password ? '***' : '' },
  };
}
