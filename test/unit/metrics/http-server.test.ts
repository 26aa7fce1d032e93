import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { MetricsServer, type StatusProvider } from '../../../src/metrics/http-server.js';
import { rememberSecret } from '../../../src/log/secrets.js';

let server: MetricsServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(provider: Partial<StatusProvider>): Promise<string> {
  server = new MetricsServer(new Registry(), { healthy: () => true, ready: () => true, status: () => ({ ok: true }), ...provider });
  const port = await server.start(0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

describe('metrics endpoint', () => {
  it('answers GET and HEAD only: 405 with Allow for anything else', async () => {
    const base = await start({});
    for (const [method, path] of [
      ['DELETE', '/healthz'],
      ['POST', '/metrics'],
      ['PUT', '/status'],
      ['PATCH', '/readyz'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a /status provider that throws (half-started component) gets a clean 500, and the server keeps serving', async () => {
    let calls = 0;
    const base = await start({
      status: () => {
        calls++;
        throw new Error('not started yet');
      },
    });
    const res = await fetch(`${base}/status`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('not started yet');
    expect(calls).toBe(1);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('/readyz and /healthz answer 503 with the reasons while not ready or unhealthy, 200 once they are', async () => {
    let ready = false;
    let healthy = false;
    const base = await start({ ready: () => ready, healthy: () => healthy, notReadyReasons: () => (ready ? [] : ['partition t[0] held: offsets lost']) });
    const notReady = await fetch(`${base}/readyz`);
    expect([notReady.status, notReady.headers.get('content-type'), await notReady.json()]).toEqual([
      503,
      'application/json',
      { ready: false, reasons: ['partition t[0] held: offsets lost'] },
    ]);
    const unhealthy = await fetch(`${base}/healthz`);
    expect([unhealthy.status, await unhealthy.json()]).toEqual([503, { healthy: false }]);
    ready = true;
    healthy = true;
    const nowReady = await fetch(`${base}/readyz`);
    expect([nowReady.status, await nowReady.json()]).toEqual([200, { ready: true }]);
    const nowHealthy = await fetch(`${base}/healthz`);
    expect([nowHealthy.status, await nowHealthy.json()]).toEqual([200, { healthy: true }]);
  });

  it('an unknown path is 404 naming the paths there are; a query string does not change the route', async () => {
    const base = await start({});
    for (const path of ['/', '/metric', '/status/x', '/readyz/']) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status, await res.text()]).toEqual([path, 404, 'not found: try /metrics /healthz /readyz /status\n']);
    }
    const withQuery = await fetch(`${base}/status?pretty=1`);
    expect([withQuery.status, await withQuery.json()]).toEqual([200, { ok: true }]);
  });

  it('scrubs secrets from /status', async () => {
    rememberSecret('Status-Secret-991');
    const base = await start({ status: () => ({ url: 'http://u:UrlPass-77@reg/x', note: 'password is Status-Secret-991' }) });
    const text = await (await fetch(`${base}/status`)).text();
    expect(text).not.toContain('Status-Secret-991');
    expect(text).not.toContain('UrlPass-77');
    expect(text).toContain('<redacted>');
  });
});
