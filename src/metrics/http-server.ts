/**
 * /metrics (Prometheus text), /healthz (liveness + dependency health), /readyz (ready to serve),
 * /status (JSON snapshot for operators and `scylla-pg-cdc status`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface StatusProvider {
  /** true while the component and its dependencies are working. */
  healthy(): boolean;
  /** true once started (assigned, connected) and not shutting down. */
  ready(): boolean;
  /** Why not ready, one line each (served by /readyz); empty when ready. */
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
      void this.handle(req.url ?? '/', res);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private async handle(url: string, res: import('node:http').ServerResponse): Promise<void> {
    const path = url.split('?')[0];
    try {
      if (path === '/metrics') {
        const body = await this.registry.metrics();
        res.writeHead(200, { 'content-type': this.registry.contentType }).end(body);
      } else if (path === '/healthz') {
        const ok = this.provider.healthy();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ healthy: ok }));
      } else if (path === '/readyz') {
        const ok = this.provider.ready();
        const reasons = ok ? [] : (this.provider.notReadyReasons?.() ?? []);
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(reasons.length > 0 ? { ready: ok, reasons } : { ready: ok }));
      } else if (path === '/status') {
        // the body first: a status() that throws must become a 500, not a second writeHead
        const body = JSON.stringify(this.provider.status(), jsonReplacer, 2);
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics /healthz /readyz /status\n');
      }
    } catch (err) {
      if (res.headersSent) res.end();
      else res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${(err as Error).message}\n`);
    }
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
