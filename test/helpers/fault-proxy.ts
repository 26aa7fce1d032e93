/**
 * Fault injection without touching the shared stack (never restart Kafka, the registry or
 * PostgreSQL: other tests use them). Reusable by the chaos suite.
 *
 * - `TcpFaultProxy`: a TCP proxy on 127.0.0.1:<ephemeral> in front of one service (PostgreSQL, the
 *   schema registry). `cut()` drops every open connection; mode `refuse` resets new ones (what a
 *   restarting server looks like to a client); mode `http500` answers every HTTP request with 500;
 *   mode `hold` forwards nothing in either direction but keeps every connection open (a server that
 *   stopped answering: what a client waits on until its own timeouts, if it has any).
 * - `KafkaSocketFaults`: a kafkajs `socketFactory` (Kafka advertises its own address, so a TCP proxy
 *   cannot sit in front of it); `outage()` cuts every broker connection and fails new ones until
 *   `heal()`.
 *
 * `outageFor(ms)` on both: cut now, refuse for `ms`, then heal.
 */
import net from 'node:net';
import type { ISocketFactory } from 'kafkajs';

export type ProxyMode = 'forward' | 'refuse' | 'http500' | 'hold';

export class TcpFaultProxy {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private mode: ProxyMode = 'forward';
  /** Connections accepted in `forward` mode (a cheap way to see that clients reconnected). */
  connections = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpFaultProxy> {
    const p = new TcpFaultProxy(target.host, target.port);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(0, '127.0.0.1', () => resolve());
    });
    return p;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /**
   * Switches mode; leaving `forward` also cuts the open connections (pooled clients would keep them),
   * except for `hold`, which freezes them open; leaving `hold` cuts them.
   */
  setMode(mode: ProxyMode): void {
    const was = this.mode;
    this.mode = mode;
    if (mode === 'hold') this.freeze();
    else if (mode !== 'forward' || was === 'hold') this.cut();
  }

  private freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Drops every open connection (both sides), as a crashed server or a broken network would. */
  cut(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
    this.pairs.clear();
  }

  async outageFor(ms: number, mode: Exclude<ProxyMode, 'forward' | 'hold'> = 'refuse'): Promise<void> {
    this.setMode(mode);
    await new Promise((r) => setTimeout(r, ms));
    this.setMode('forward');
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private track(s: net.Socket): void {
    this.open.add(s);
    s.on('close', () => this.open.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: net.Socket): void {
    this.track(client);
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'http500') {
      const body = '{"error_code":50001,"message":"fault injection"}';
      client.once('data', () => {
        client.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      });
      return;
    }
    if (this.mode === 'hold') {
      client.pause();
      return;
    }
    this.connections++;
    const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    client.on('close', () => this.pairs.delete(pair));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

export class KafkaSocketFaults {
  private readonly open = new Set<net.Socket>();
  private down = false;
  /** Connection attempts failed while down. */
  refused = 0;

  readonly socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    if (this.down) {
      this.refused++;
      const s = new net.Socket();
      setImmediate(() => s.destroy(Object.assign(new Error(`connect ECONNREFUSED ${host}:${port} (fault injection)`), { code: 'ECONNREFUSED' })));
      return s;
    }
    const s = net.connect({ host, port }, onConnect);
    s.setKeepAlive(true, 60_000);
    this.open.add(s);
    s.on('close', () => this.open.delete(s));
    return s;
  };

  /** Cuts every broker connection and fails new ones until `heal()`. */
  outage(): void {
    this.down = true;
    for (const s of this.open) s.destroy(Object.assign(new Error('connection cut (fault injection)'), { code: 'ECONNRESET' }));
    this.open.clear();
  }

  heal(): void {
    this.down = false;
  }

  get isDown(): boolean {
    return this.down;
  }

  async outageFor(ms: number): Promise<void> {
    this.outage();
    await new Promise((r) => setTimeout(r, ms));
    this.heal();
  }
}
