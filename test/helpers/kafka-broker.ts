/**
 * A private single-node Kafka (KRaft) for tests that need listeners the shared broker does not
 * have: SASL_SSL with SCRAM-SHA-256 users, and SSL requiring client certificates. Same jars as the
 * local stack (tools/kafka), its own ports and log dir; the test stops it. PEM key stores (KIP-651)
 * take the openssl-made certificates as they are.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_TEST_TUNING, kafkaClasspath } from '../../scripts/stack-control.js';
import { freePort } from './pg-cluster.js';

export interface TlsBrokerOptions {
  cert: string;
  key: string;
  ca: string;
  scramUsers: { name: string; password: string }[];
}

export interface TlsBroker {
  /** SASL_SSL listener (SCRAM-SHA-256), server certificate only. */
  saslSsl: string;
  /** SSL listener that requires a client certificate signed by the CA. */
  mtls: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startTlsBroker(o: TlsBrokerOptions): Promise<TlsBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-kafka-'));
  const [internal, controller, saslSsl, mtls] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const keystore = join(dir, 'server.pem');
  writeFileSync(keystore, readFileSync(o.key, 'utf8') + readFileSync(o.cert, 'utf8'));
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=INTERNAL://127.0.0.1:${internal},CONTROLLER://127.0.0.1:${controller},SASL_SSL://127.0.0.1:${saslSsl},MTLS://127.0.0.1:${mtls}`,
      `advertised.listeners=INTERNAL://127.0.0.1:${internal},SASL_SSL://127.0.0.1:${saslSsl},MTLS://127.0.0.1:${mtls}`,
      'listener.security.protocol.map=INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=INTERNAL',
      'sasl.enabled.mechanisms=SCRAM-SHA-256',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${keystore}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${o.ca}`,
      'listener.name.mtls.ssl.client.auth=required',
      `log.dirs=${join(dir, 'data')}`,
      ...KAFKA_TEST_TUNING,
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    log4j,
    'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\nlog4j.logger.kafka.server.KafkaRaftServer=INFO\n',
  );
  const cp = kafkaClasspath(() => undefined);
  const logOpt = `-Dlog4j.configuration=file:${log4j}`;
  const scram = o.scramUsers.flatMap((u) => ['--add-scram', `SCRAM-SHA-256=[name=${u.name},password=${u.password}]`]);
  execFileSync('java', ['-cp', cp, logOpt, 'kafka.tools.StorageTool', 'format', '-t', 'Y2RjLXRscy10ZXN0LWJyb2tlcg', '-c', props, ...scram], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  const child: ChildProcess = spawn(
    'java',
    ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-Djava.awt.headless=true', logOpt, `-Dkafka.logs.dir=${dir}`, '-cp', cp, 'kafka.Kafka', props],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    saslSsl: `127.0.0.1:${saslSsl}`,
    mtls: `127.0.0.1:${mtls}`,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
