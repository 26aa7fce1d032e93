/**
 * The registry as users often run it: behind an HTTPS reverse proxy that asks for basic auth (and
 * optionally a client certificate), forwarding to the real local registry.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface AuthProxyOptions {
  cert: string;
  key: string;
  /** With `ca`, a client certificate signed by it is required (mTLS). */
  ca?: string;
  username: string;
  password: string;
  /** http://host:port of the upstream; request paths are kept. */
  upstream: string;
}

export interface AuthProxy {
  url: string;
  /** Requests that got past TLS (whatever their credentials). */
  requests: number;
  close(): Promise<void>;
}

export async function startAuthProxy(o: AuthProxyOptions): Promise<AuthProxy> {
  const expected = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  const upstream = new URL(o.upstream);
  const state = { requests: 0 };
  const server = https.createServer({ cert: o.cert, key: o.key, ...(o.ca ? { ca: o.ca, requestCert: true, rejectUnauthorized: true } : {}) }, (req, res) => {
    state.requests++;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"', 'content-type': 'application/json' }).end('{"error_code":401,"message":"Unauthorized"}');
      return;
    }
    const { authorization: _a, host: _h, ...headers } = req.headers;
    const fwd = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
