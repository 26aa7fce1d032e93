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
    for (const [method, path] of [['DELETE', '/healthz'], ['POST', '/metrics'], ['PUT', '/status'], ['PATCH', '/readyz']] as const) {
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

  it('scrubs secrets from /status', async () => {
    rememberSecret('Status-Secret-991');
    const base = await start({ status: () => ({ url: 'http://u:UrlPass-77@reg/x', note: 'password is Status-Secret-991' }) });
    const text = await (await fetch(`${base}/status`)).text();
    expect(text).not.toContain('Status-Secret-991');
    expect(text).not.toContain('UrlPass-77');
    expect(text).toContain('<redacted>');
  });
});
