/**
 * One probe per dependency and per running process, each bounded by a timeout, each answering
 * {ok, detail}: the building blocks of `health` and `status` (what health-check.sh did with curl).
 */
import cassandra from 'cassandra-driver';
import { createKafka } from '../clients/kafka.js';
import { createPgClient } from '../clients/postgres.js';
import { RegistryHttp } from '../clients/registry.js';
import { scyllaConnectionOptions } from '../clients/scylla.js';
import { createLogger, redactUrl } from '../log/logger.js';
import { scrub } from '../log/secrets.js';
import { ConfigError } from '../config/spec.js';
import type { ToolsConfig } from '../config/tools-config.js';

export interface ProbeResult {
  name: string;
  target: string;
  ok: boolean;
  detail: string;
  ms: number;
}

const TIMEOUT_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function timed(name: string, target: string, fn: () => Promise<string>): Promise<ProbeResult> {
  const t0 = Date.now();
  try {
    const detail = await withTimeout(fn(), TIMEOUT_MS, name);
    return { name, target, ok: true, detail, ms: Date.now() - t0 };
  } catch (err) {
    if (err instanceof ConfigError) throw err; // an unreadable CA file is bad configuration (exit 2), not a dependency down
    return { name, target, ok: false, detail: scrub(describeError(err)), ms: Date.now() - t0 };
  }
}

/** The useful part of a failure: a socket code, possibly hidden in `cause` or behind a driver's wrapper. */
function describeError(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; innerErrors?: Record<string, { code?: string; message?: string }> };
  const inner = e.innerErrors ? Object.values(e.innerErrors)[0] : undefined; // cassandra-driver's NoHostAvailableError
  const code = e.cause?.code ?? inner?.code ?? e.code;
  if (code === 'ECONNREFUSED') return 'not reachable: connection refused (is it running?)';
  const message = inner?.message ?? e.cause?.message ?? (err as Error).message;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|HOSTNAME|IP_MISMATCH/.test(code)) return `TLS: the server's certificate is not trusted (${code}): ${message.split('\n')[0]}`;
  if (code) return `not reachable: ${code}`;
  return message.split('\n')[0] ?? 'error';
}

export function probeScylla(cfg: ToolsConfig): Promise<ProbeResult> {
  const points = cfg.scyllaContactPoints.map((p) => `${p.host}:${p.port}`);
  return timed('scylla', points.join(','), async () => {
    const base = scyllaConnectionOptions(cfg);
    const client = new cassandra.Client({
      ...base,
      protocolOptions: { ...base.protocolOptions, maxVersion: 4 },
      socketOptions: { connectTimeout: TIMEOUT_MS, readTimeout: TIMEOUT_MS },
    });
    try {
      await client.connect();
      const rs = await client.execute('SELECT release_version, data_center FROM system.local');
      const row = rs.first();
      return `release ${String(row?.get('release_version'))}, dc ${String(row?.get('data_center'))}, ${client.getState().getConnectedHosts().length} host(s)`;
    } finally {
      await client.shutdown().catch(() => undefined); // best effort: the probe's answer is already known
    }
  });
}

export function probeKafka(cfg: ToolsConfig): Promise<ProbeResult> {
  return timed('kafka', cfg.kafkaBrokers.join(','), async () => {
    const admin = createKafka(cfg, createLogger('health', 'silent', 'stderr'), '-health', { retries: 1, connectionTimeoutMs: TIMEOUT_MS }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return `${cluster.brokers.length} broker(s), controller ${cluster.controller ?? 'none'}`;
    } finally {
      await admin.disconnect().catch(() => undefined); // best effort, as above
    }
  });
}

export function probeRegistry(cfg: ToolsConfig): Promise<ProbeResult> {
  const registry = new RegistryHttp({ ...cfg, schemaRegistryTimeoutMs: Math.min(cfg.schemaRegistryTimeoutMs, TIMEOUT_MS) });
  return timed('registry', registry.base, async () => {
    try {
      const res = await registry.fetch('/subjects');
      if (res.status === 401 || res.status === 403) throw new Error(`HTTP ${res.status}: credentials refused (SCHEMA_REGISTRY_USERNAME/PASSWORD or the URL's user info)`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const subjects = (await res.json()) as unknown[];
      return `${subjects.length} subject(s)`;
    } finally {
      registry.close();
    }
  });
}

export function probePostgres(cfg: ToolsConfig): Promise<ProbeResult> {
  return timed('postgres', redactUrl(cfg.pgUrl), async () => {
    const client = createPgClient(cfg, 'scylla-pg-cdc-health', { connectionTimeoutMillis: TIMEOUT_MS });
    try {
      await client.connect();
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      return `PostgreSQL ${rows[0]?.v ?? '?'}`;
    } finally {
      await client.end().catch(() => undefined); // best effort, as above
    }
  });
}

/** A running process's /healthz; `detail` carries /status's summary when it answers. */
export function probeProcess(component: 'source' | 'sink', baseUrl: string): Promise<ProbeResult> {
  const base = baseUrl.replace(/\/$/, '');
  return timed(component, base, async () => {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status === 503) throw new Error('running but unhealthy (a dependency is down or no progress): see its logs and /status');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    // Healthy but degraded: problems that need an operator (e.g. a retention gap) keep /readyz at 503.
    const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (ready.status === 503) {
      const body = (await ready.json().catch(() => ({}))) as { reasons?: string[] };
      if (body.reasons && body.reasons.length > 0) throw new Error(`degraded: ${body.reasons.join('; ')}`);
    }
    return 'healthy';
  });
}

/** Whether something answers HTTP at a process's metrics endpoint (healthy or not). */
export async function processAnswers(baseUrl: string): Promise<boolean> {
  try {
    await fetch(`${baseUrl.replace(/\/$/, '')}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return true;
  } catch {
    return false; // refused or timed out: nothing serves there
  }
}

export async function fetchStatus(baseUrl: string): Promise<unknown> {
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/status`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}
