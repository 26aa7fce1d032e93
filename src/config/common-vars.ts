/** Variables shared by several processes (README, "Configuration"). Keys match env names one-to-one in camelCase. */
import { z } from 'zod';
import { bool, commaList, defineVar, hostPortList, intIn, oneOf, oneOfIgnoreCase, str, url } from './spec.js';
import { PG_SSL_MODES } from './connection-checks.js';
import { EXCLUDE_RULE } from '../schema/exclude-columns.js';

const tableName = /^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/;

/** SCYLLA_EXCLUDE_COLUMNS and SINK_EXCLUDE_COLUMNS: one syntax, one parser. */
export const excludeRules = commaList.pipe(z.array(z.string().regex(EXCLUDE_RULE, { message: 'each entry must be keyspace.table.column (keyspace or table may be *)' })));

export const scyllaVars = {
  scyllaContactPoints: defineVar({
    env: 'SCYLLA_CONTACT_POINTS',
    schema: hostPortList(9042),
    default: '127.0.0.1:9042',
    description: "ScyllaDB contact points, comma list host[:port]; the nodes found from them are reached on the first one's port",
  }),
  scyllaLocalDc: defineVar({ env: 'SCYLLA_LOCAL_DC', schema: str, default: 'datacenter1', description: 'local data center for DC-aware routing' }),
  scyllaUsername: defineVar({ env: 'SCYLLA_USERNAME', schema: str, description: 'ScyllaDB user (password authenticator)' }),
  scyllaPassword: defineVar({ env: 'SCYLLA_PASSWORD', schema: str, secret: true, description: 'ScyllaDB password' }),
  scyllaTables: defineVar({
    env: 'SCYLLA_TABLES',
    schema: commaList.pipe(z.array(z.string().regex(tableName, { message: 'each entry must be keyspace.table' }))),
    required: true,
    description: 'tables to replicate, comma list keyspace.table',
  }),
  scyllaExcludeColumns: defineVar({
    env: 'SCYLLA_EXCLUDE_COLUMNS',
    schema: excludeRules,
    description: 'columns that never reach Kafka (nor PostgreSQL, nor reconcile), comma list keyspace.table.column; keyspace or table may be *; key columns are refused',
  }),
  scyllaConsistency: defineVar({
    env: 'SCYLLA_CONSISTENCY',
    schema: oneOf(['ONE', 'LOCAL_ONE', 'QUORUM', 'LOCAL_QUORUM', 'ALL']),
    default: 'LOCAL_QUORUM',
    description: 'consistency level of log and snapshot reads',
  }),
  scyllaRequestTimeoutMs: defineVar({ env: 'SCYLLA_REQUEST_TIMEOUT_MS', schema: intIn(100), default: '12000', description: 'client-side read timeout per query' }),
  scyllaSsl: defineVar({
    env: 'SCYLLA_SSL',
    schema: bool,
    default: 'false',
    description: 'connect to ScyllaDB with TLS; the server certificate and host name are always verified',
  }),
  scyllaSslCa: defineVar({ env: 'SCYLLA_SSL_CA', schema: str, description: 'CA (PEM file or text) that signed the ScyllaDB certificates; unset = the system CAs' }),
  scyllaSslCert: defineVar({ env: 'SCYLLA_SSL_CERT', schema: str, description: 'client certificate (PEM file or text) for ScyllaDB mTLS' }),
  scyllaSslKey: defineVar({ env: 'SCYLLA_SSL_KEY', schema: str, secret: true, description: 'private key (PEM file or text) of SCYLLA_SSL_CERT' }),
  scyllaSslServername: defineVar({ env: 'SCYLLA_SSL_SERVERNAME', schema: str, description: "host name every node certificate must carry (and SNI); unset = each node's address" }),
};

/** Kafka connection settings only (the sink and the tools share them with the source). */
export const kafkaConnVars = {
  kafkaBrokers: defineVar({ env: 'KAFKA_BROKERS', schema: commaList, default: '127.0.0.1:9092', description: 'Kafka bootstrap brokers, comma list host:port' }),
  kafkaClientId: defineVar({ env: 'KAFKA_CLIENT_ID', schema: str, default: 'scylla-pg-cdc', description: 'Kafka client id prefix' }),
  kafkaSsl: defineVar({ env: 'KAFKA_SSL', schema: bool, default: 'false', description: 'connect to Kafka with TLS; the broker certificate and host name are always verified' }),
  kafkaSslCa: defineVar({ env: 'KAFKA_SSL_CA', schema: str, description: 'CA (PEM file or text) that signed the broker certificates; unset = the system CAs' }),
  kafkaSslCert: defineVar({ env: 'KAFKA_SSL_CERT', schema: str, description: 'client certificate (PEM file or text) for Kafka mTLS' }),
  kafkaSslKey: defineVar({ env: 'KAFKA_SSL_KEY', schema: str, secret: true, description: 'private key (PEM file or text) of KAFKA_SSL_CERT' }),
  kafkaSaslMechanism: defineVar({
    env: 'KAFKA_SASL_MECHANISM',
    schema: oneOfIgnoreCase(['plain', 'scram-sha-256', 'scram-sha-512']),
    description: 'SASL mechanism, any case (unset = no SASL)',
  }),
  kafkaSaslUsername: defineVar({ env: 'KAFKA_SASL_USERNAME', schema: str, description: 'SASL user (required with KAFKA_SASL_MECHANISM)' }),
  kafkaSaslPassword: defineVar({ env: 'KAFKA_SASL_PASSWORD', schema: str, secret: true, description: 'SASL password' }),
};

export const registryVars = {
  schemaRegistryUrl: defineVar({
    env: 'SCHEMA_REGISTRY_URL',
    schema: url(['http:', 'https:']),
    default: 'http://127.0.0.1:8081',
    description: 'Confluent-compatible schema registry URL (Apicurio: …/apis/ccompat/v7); user info = basic auth',
  }),
  schemaRegistryUsername: defineVar({ env: 'SCHEMA_REGISTRY_USERNAME', schema: str, description: 'registry basic-auth user' }),
  schemaRegistryPassword: defineVar({ env: 'SCHEMA_REGISTRY_PASSWORD', schema: str, secret: true, description: 'registry basic-auth password' }),
  schemaRegistrySslCa: defineVar({ env: 'SCHEMA_REGISTRY_SSL_CA', schema: str, description: 'CA (PEM file or text) for an https registry; unset = the system CAs' }),
  schemaRegistrySslCert: defineVar({ env: 'SCHEMA_REGISTRY_SSL_CERT', schema: str, description: 'client certificate (PEM file or text) for the registry' }),
  schemaRegistrySslKey: defineVar({ env: 'SCHEMA_REGISTRY_SSL_KEY', schema: str, secret: true, description: 'private key (PEM file or text) of SCHEMA_REGISTRY_SSL_CERT' }),
  schemaRegistryTimeoutMs: defineVar({ env: 'SCHEMA_REGISTRY_TIMEOUT_MS', schema: intIn(100), default: '10000', description: 'timeout of one registry call' }),
};

export const kafkaVars = {
  ...kafkaConnVars,
  kafkaTopicTemplate: defineVar({
    env: 'KAFKA_TOPIC_TEMPLATE',
    schema: str.refine((v) => v.includes('{table}'), { message: 'must contain {table}' }),
    default: 'cdc.scylla.{table}',
    description: 'topic per table; {keyspace} and {table} placeholders',
  }),
  ...registryVars,
};

export const pgVars = {
  pgUrl: defineVar({
    env: 'PG_URL',
    schema: url(['postgres:', 'postgresql:']),
    secret: true,
    default: 'postgres://postgres@127.0.0.1:5432/warehouse',
    description: 'PostgreSQL connection URL',
  }),
  pgSchema: defineVar({
    env: 'PG_SCHEMA',
    schema: str.regex(/^[^\s"]+$/, { message: 'expected a schema name without spaces or quotes' }),
    default: 'cdc_data',
    description: 'target schema',
  }),
  pgSsl: defineVar({
    env: 'PG_SSL',
    schema: oneOf(PG_SSL_MODES),
    description: "TLS to PostgreSQL, as libpq sslmode: disable, require (encrypted, unverified), verify-ca, verify-full; unset = PG_URL's sslmode, else disable",
  }),
  pgSslCa: defineVar({ env: 'PG_SSL_CA', schema: str, description: 'CA (PEM file or text) for verify-ca / verify-full; unset = the system CAs' }),
  pgSslCert: defineVar({ env: 'PG_SSL_CERT', schema: str, description: 'client certificate (PEM file or text) for PostgreSQL' }),
  pgSslKey: defineVar({ env: 'PG_SSL_KEY', schema: str, secret: true, description: 'private key (PEM file or text) of PG_SSL_CERT' }),
};

export const opsVars = (metricsPortDefault: string) => ({
  metricsPort: defineVar({ env: 'METRICS_PORT', schema: intIn(0, 65535), default: metricsPortDefault, description: '/metrics, /healthz, /readyz, /status (0 = disabled)' }),
  metricsHost: defineVar({ env: 'METRICS_HOST', schema: str, default: '0.0.0.0', description: 'bind address of the metrics endpoint' }),
  logLevel: defineVar({
    env: 'LOG_LEVEL',
    schema: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    default: 'info',
    description: 'pino log level (JSON logs on stdout)',
  }),
  shutdownTimeoutMs: defineVar({ env: 'SHUTDOWN_TIMEOUT_MS', schema: intIn(100), default: '30000', description: 'drain deadline after SIGTERM before forcing exit' }),
});
