/**
 * /metrics (Prometheus text), /healthz (liveness + dependency health), /readyz (ready to serve),
 * /status (JSON snapshot for operators and `scylla-pg-cdc status`).
 *
 * Read-only: GET and HEAD, anything else 405 with `Allow`. Every body is built before the first
 * header is written, so a provider that throws (a half-started component) yields a clean 500, never
 * a second writeHead on a started response.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { scrub } from '../log/secrets.js';

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

export interface StatusProvider {
  /** true while the component and its dependencies are working. */
  healthy(): boolean;
  /** true once started (assigned, connected) and not shutting down. */
  ready(): boolean;
  /** Why not ready, beyond starting/stopping: problems an operator must act on (shown by /readyz and `health`). */
  notReadyReasons?(): string[];
  status(): unknown;
}

export class MetricsServer {
  private server: Server | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly provider: StatusProvider,
  ) {}

  async start(port: number, host = '0.0.0.0'): Promise<number> {
    if (this.server) return (this.server.address() as AddressInfo).port;
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.reply(req.method ?? 'GET', req.url ?? '/');
    } catch (err) {
      reply = { status: 500, type: 'text/plain', body: `error: ${(err as Error).message}\n` };
    }
    if (res.headersSent || res.destroyed) return;
    const body = Buffer.from(scrub(reply.body));
    res.writeHead(reply.status, { 'content-type': reply.type, 'content-length': body.length, ...reply.headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async reply(method: string, url: string): Promise<Reply> {
    if (method !== 'GET' && method !== 'HEAD') {
      return { status: 405, type: 'text/plain', body: `method ${method} not allowed: this endpoint is read-only\n`, headers: { allow: 'GET, HEAD' } };
    }
    const path = url.split('?')[0];
    if (path === '/metrics') return { status: 200, type: this.registry.contentType, body: await this.registry.metrics() };
    if (path === '/healthz') {
      const ok = this.provider.healthy();
      return { status: ok ? 200 : 503, type: 'application/json', body: JSON.stringify({ healthy: ok }) };
    }
    if (path === '/readyz') {
      const ok = this.provider.ready();
      const reasons = this.provider.notReadyReasons?.() ?? [];
      return { status: ok ? 200 : 503, type: 'application/json', body: JSON.stringify(reasons.length > 0 ? { ready: ok, reasons } : { ready: ok }) };
    }
    if (path === '/status') return { status: 200, type: 'application/json', body: JSON.stringify(this.provider.status(), jsonReplacer, 2) };
    return { status: 404, type: 'text/plain', body: 'not found: try /metrics /healthz /readyz /status\n' };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
