/**
 * The one schema-registry connection (source publisher, sink fetcher, dlq, health): base URL, basic
 * auth (SCHEMA_REGISTRY_USERNAME/PASSWORD or the URL's user info), TLS with a CA and a client
 * certificate, a timeout on every call.
 *
 * node:http(s) rather than the global fetch: Node 20's fetch takes no CA or client certificate, and
 * it refuses a URL with credentials in an error that quotes the URL. Callers still get a standard
 * `Response`, so they read status and body the usual way.
 */
import http from 'node:http';
import https from 'node:https';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { tlsMaterial } from './tls-material.js';

export interface RegistrySettings {
  schemaRegistryUrl: string;
  schemaRegistryUsername?: string | undefined;
  schemaRegistryPassword?: string | undefined;
  schemaRegistrySslCa?: string | undefined;
  schemaRegistrySslCert?: string | undefined;
  schemaRegistrySslKey?: string | undefined;
  schemaRegistryTimeoutMs?: number | undefined;
}

export interface RegistryRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export class RegistryHttp {
  /** The URL without user info: safe to print. */
  readonly base: string;
  readonly agent: http.Agent;
  readonly auth: { username: string; password: string } | undefined;
  private readonly timeoutMs: number;

  constructor(settings: RegistrySettings) {
    const u = new URL(settings.schemaRegistryUrl);
    this.auth =
      settings.schemaRegistryUsername !== undefined
        ? { username: settings.schemaRegistryUsername, password: settings.schemaRegistryPassword ?? '' }
        : u.username
          ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
          : undefined;
    u.username = '';
    u.password = '';
    this.base = u.toString().replace(/\/$/, '');
    this.timeoutMs = settings.schemaRegistryTimeoutMs ?? 10_000;
    this.agent =
      u.protocol === 'https:'
        ? new https.Agent({
            keepAlive: false,
            rejectUnauthorized: true,
            ...tlsMaterial('SCHEMA_REGISTRY_SSL', { ca: settings.schemaRegistrySslCa, cert: settings.schemaRegistrySslCert, key: settings.schemaRegistrySslKey }),
          })
        : new http.Agent({ keepAlive: false });
  }

  /** `path` is relative to the base URL (`/subjects`). Rejects on network failure or timeout; any HTTP status resolves. */
  fetch(path: string, init: RegistryRequest = {}): Promise<Response> {
    const target = new URL(`${this.base}${path}`);
    const headers: Record<string, string> = { ...init.headers };
    if (this.auth) headers.authorization = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
    const request = target.protocol === 'https:' ? https.request : http.request;
    return new Promise<Response>((resolve, reject) => {
      const req = request(target, { method: init.method ?? 'GET', headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve(new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), { status: res.statusCode ?? 500 })));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms (SCHEMA_REGISTRY_TIMEOUT_MS)`)));
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /** The library client (Avro decoding by id in `dlq`), over the same agent and credentials. */
  libraryClient(): SchemaRegistry {
    return new SchemaRegistry({ host: this.base, agent: this.agent, ...(this.auth ? { auth: this.auth } : {}) });
  }

  close(): void {
    this.agent.destroy();
  }
}
