/**
 * Settings of one connection that only make sense together, checked once at load time so a
 * contradiction is a configuration error (exit 2) naming every variable involved, and the
 * effective PostgreSQL settings (PG_SSL* merged with what PG_URL itself says). Pure.
 */

export const PG_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PgSslMode = (typeof PG_SSL_MODES)[number];

/** The subset of any process's config these checks read (every field optional: not all processes have all systems). */
export interface ConnectionFields {
  scyllaSsl?: boolean;
  scyllaSslCa?: string | undefined;
  scyllaSslCert?: string | undefined;
  scyllaSslKey?: string | undefined;
  scyllaSslServername?: string | undefined;
  scyllaUsername?: string | undefined;
  scyllaPassword?: string | undefined;
  kafkaSsl?: boolean;
  kafkaSslCa?: string | undefined;
  kafkaSslCert?: string | undefined;
  kafkaSslKey?: string | undefined;
  kafkaSaslMechanism?: string | undefined;
  kafkaSaslUsername?: string | undefined;
  schemaRegistryUrl?: string;
  schemaRegistryUsername?: string | undefined;
  schemaRegistrySslCa?: string | undefined;
  schemaRegistrySslCert?: string | undefined;
  schemaRegistrySslKey?: string | undefined;
  pgUrl?: string;
  pgSsl?: PgSslMode | undefined;
  pgSslCa?: string | undefined;
  pgSslCert?: string | undefined;
  pgSslKey?: string | undefined;
}

export interface PgSettings {
  /** PG_URL without its ssl* parameters: those are carried by the fields below. */
  connectionString: string;
  sslMode: PgSslMode;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** PG_URL parameter ↔ variable that says the same thing. */
const PG_URL_PARAMS = [
  ['sslrootcert', 'PG_SSL_CA', 'pgSslCa'],
  ['sslcert', 'PG_SSL_CERT', 'pgSslCert'],
  ['sslkey', 'PG_SSL_KEY', 'pgSslKey'],
] as const;

/**
 * One place decides what PostgreSQL TLS means: a setting may come from PG_SSL* or from PG_URL's own
 * sslmode/sslrootcert/…, but if both say something they must agree. (node-postgres would otherwise
 * let the URL win silently, and reads sslmode=require as verify-full.)
 */
export function resolvePgSettings(cfg: ConnectionFields): { settings?: PgSettings; problems: string[] } {
  const problems: string[] = [];
  const url = new URL(cfg.pgUrl ?? 'postgres://127.0.0.1/');
  const fromUrl = url.searchParams.get('sslmode') ?? undefined;
  url.searchParams.delete('sslmode');
  if (url.searchParams.has('ssl')) {
    problems.push('PG_URL: the ssl parameter is not supported; use PG_SSL (disable, require, verify-ca, verify-full)');
  }
  let sslMode: PgSslMode = cfg.pgSsl ?? 'disable';
  if (fromUrl !== undefined) {
    if (!(PG_SSL_MODES as readonly string[]).includes(fromUrl)) {
      problems.push(`PG_URL: sslmode=${fromUrl} is not supported; use PG_SSL (disable, require, verify-ca, verify-full)`);
    } else if (cfg.pgSsl !== undefined && cfg.pgSsl !== fromUrl) {
      problems.push(`PG_SSL=${cfg.pgSsl} contradicts sslmode=${fromUrl} in PG_URL: set one of them, or make them agree`);
    } else {
      sslMode = fromUrl as PgSslMode;
    }
  }
  const files: Record<'pgSslCa' | 'pgSslCert' | 'pgSslKey', string | undefined> = { pgSslCa: cfg.pgSslCa, pgSslCert: cfg.pgSslCert, pgSslKey: cfg.pgSslKey };
  for (const [param, env, field] of PG_URL_PARAMS) {
    const v = url.searchParams.get(param) ?? undefined;
    url.searchParams.delete(param);
    if (v === undefined) continue;
    if (files[field] !== undefined && files[field] !== v) problems.push(`${env} contradicts ${param} in PG_URL: set one of them, or make them agree`);
    else files[field] = v;
  }
  if (sslMode === 'disable' && (files.pgSslCa || files.pgSslCert || files.pgSslKey)) {
    problems.push('PG_SSL_CA/PG_SSL_CERT/PG_SSL_KEY are set but PG_SSL is disable (no TLS): set PG_SSL, or unset them');
  }
  if (sslMode === 'require' && files.pgSslCa) {
    problems.push('PG_SSL_CA is set but PG_SSL=require does not verify the server: use verify-ca or verify-full');
  }
  problems.push(...pairProblems('PG_SSL_CERT', files.pgSslCert, 'PG_SSL_KEY', files.pgSslKey));
  if (problems.length > 0) return { problems };
  return { settings: { connectionString: url.toString(), sslMode, ca: files.pgSslCa, cert: files.pgSslCert, key: files.pgSslKey }, problems };
}

function pairProblems(certEnv: string, cert: string | undefined, keyEnv: string, key: string | undefined): string[] {
  if ((cert === undefined) === (key === undefined)) return [];
  return [`${cert === undefined ? certEnv : keyEnv} is required when ${cert === undefined ? keyEnv : certEnv} is set (a client certificate needs its key)`];
}

function tlsOffProblems(sslEnv: string, on: boolean | undefined, vars: [string, string | undefined][]): string[] {
  if (on !== false) return [];
  const set = vars.filter(([, v]) => v !== undefined).map(([n]) => n);
  return set.length > 0 ? [`${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set but ${sslEnv} is false: set ${sslEnv}=true, or unset ${set.length > 1 ? 'them' : 'it'}`] : [];
}

export function connectionProblems(cfg: ConnectionFields): string[] {
  const problems: string[] = [];
  if ('scyllaSsl' in cfg) {
    problems.push(
      ...tlsOffProblems('SCYLLA_SSL', cfg.scyllaSsl, [
        ['SCYLLA_SSL_CA', cfg.scyllaSslCa],
        ['SCYLLA_SSL_CERT', cfg.scyllaSslCert],
        ['SCYLLA_SSL_KEY', cfg.scyllaSslKey],
        ['SCYLLA_SSL_SERVERNAME', cfg.scyllaSslServername],
      ]),
    );
    problems.push(...pairProblems('SCYLLA_SSL_CERT', cfg.scyllaSslCert, 'SCYLLA_SSL_KEY', cfg.scyllaSslKey));
    if (cfg.scyllaPassword !== undefined && cfg.scyllaUsername === undefined) problems.push('SCYLLA_USERNAME is required when SCYLLA_PASSWORD is set');
  }
  if ('kafkaSsl' in cfg) {
    problems.push(
      ...tlsOffProblems('KAFKA_SSL', cfg.kafkaSsl, [
        ['KAFKA_SSL_CA', cfg.kafkaSslCa],
        ['KAFKA_SSL_CERT', cfg.kafkaSslCert],
        ['KAFKA_SSL_KEY', cfg.kafkaSslKey],
      ]),
    );
    problems.push(...pairProblems('KAFKA_SSL_CERT', cfg.kafkaSslCert, 'KAFKA_SSL_KEY', cfg.kafkaSslKey));
    if (cfg.kafkaSaslMechanism !== undefined && !cfg.kafkaSaslUsername) {
      problems.push(`KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is set (${cfg.kafkaSaslMechanism})`);
    }
  }
  if (cfg.schemaRegistryUrl !== undefined) {
    const u = new URL(cfg.schemaRegistryUrl);
    if (u.username && cfg.schemaRegistryUsername !== undefined) {
      problems.push('SCHEMA_REGISTRY_USERNAME contradicts the user in SCHEMA_REGISTRY_URL: give the credentials in one place');
    }
    if (u.protocol === 'http:') {
      const set = [
        ['SCHEMA_REGISTRY_SSL_CA', cfg.schemaRegistrySslCa],
        ['SCHEMA_REGISTRY_SSL_CERT', cfg.schemaRegistrySslCert],
        ['SCHEMA_REGISTRY_SSL_KEY', cfg.schemaRegistrySslKey],
      ]
        .filter(([, v]) => v !== undefined)
        .map(([n]) => n);
      if (set.length > 0) problems.push(`${set.join(', ')} set but SCHEMA_REGISTRY_URL is http: (no TLS): use an https: URL, or unset them`);
    }
    problems.push(...pairProblems('SCHEMA_REGISTRY_SSL_CERT', cfg.schemaRegistrySslCert, 'SCHEMA_REGISTRY_SSL_KEY', cfg.schemaRegistrySslKey));
  }
  if (cfg.pgUrl !== undefined) problems.push(...resolvePgSettings(cfg).problems);
  return problems;
}
