// CQL native protocol v4 over TCP: framing, opcode dispatch, the version downgrade the Node
// driver expects, SCHEMA_CHANGE events and the fault hooks.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { CqlError, ErrorCode, serverError } from './errors.js';
import type { Engine, ExecResult, Session } from './engine.js';
import { Reader, Writer } from './protocol/buffer.js';
import { encodeFrame, FrameDecoder, Opcode, type Frame } from './protocol/frame.js';
import {
  errorBody,
  preparedBody,
  readBatch,
  readQueryParams,
  schemaChangeBody,
  schemaChangeEvent,
  setKeyspaceBody,
  supportedBody,
  voidBody,
  writeRowsMetadata,
} from './protocol/messages.js';

interface Conn {
  socket: Socket;
  session: Session;
  registered: boolean;
  decoder: FrameDecoder;
}

export class CqlServer {
  private server: Server | null = null;
  private readonly conns = new Set<Conn>();
  private readonly unsubscribe: () => void;
  requestCount = 0;
  /** EXECUTE frames served (prepared statements: what token-aware routing sends to a replica). */
  executeCount = 0;

  /** TLS handshakes that completed (a refused client never gets this far). */
  tlsSessions = 0;

  /** Credentials clients sent (PasswordAuthenticator), in order: what a test checks never reached a wrong server. */
  readonly credentialsSeen: { username: string; password: string }[] = [];

  /**
   * With `tls`, the server speaks CQL over TLS only (key/cert, and ca + requestCert for mTLS).
   * With `auth`, STARTUP is answered with AUTHENTICATE (PasswordAuthenticator) and only these
   * credentials are accepted.
   */
  constructor(
    private readonly engine: Engine,
    private readonly host = 0,
    private readonly tls?: TlsOptions,
    private readonly auth?: { username: string; password: string },
  ) {
    this.unsubscribe = engine.onSchemaChange((c) => {
      const body = schemaChangeEvent(c);
      for (const conn of this.conns) if (conn.registered) conn.socket.write(encodeFrame(-1, Opcode.event, body));
    });
    engine.faults.dropAllConnections = () => this.dropAll();
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = this.tls
        ? createTlsServer(this.tls, (s) => {
            this.tlsSessions++;
            this.accept(s);
          })
        : createServer((s) => this.accept(s));
      this.server = server;
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  dropAll(): number {
    const n = this.conns.size;
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    return n;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.dropAll();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const conn: Conn = { socket, session: { keyspace: null, host: this.host }, registered: false, decoder: new FrameDecoder() };
    this.conns.add(conn);
    socket.on('data', (chunk) => {
      let frames: Frame[];
      try {
        frames = conn.decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) this.handle(conn, f);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.conns.delete(conn));
  }

  private send(conn: Conn, stream: number, opcode: number, body: Buffer, delayMs: number): void {
    const frame = encodeFrame(stream, opcode, body);
    if (delayMs > 0)
      setTimeout(() => {
        if (!conn.socket.destroyed) conn.socket.write(frame);
      }, delayMs);
    else conn.socket.write(frame);
  }

  private handle(conn: Conn, f: Frame): void {
    this.requestCount++;
    if ((f.version & 0x7f) !== 4) {
      // The driver starts at DSE/v5 and steps down when it sees this message.
      const err = new CqlError(ErrorCode.protocol, `Invalid or unsupported protocol version (${f.version}); supported versions are (3/v3, 4/v4)`);
      this.send(conn, f.stream, Opcode.error, errorBody(err), 0);
      return;
    }
    let delayMs = 0;
    try {
      const r = new Reader(f.body);
      switch (f.opcode) {
        case Opcode.startup:
          r.stringMap();
          if (this.auth) this.send(conn, f.stream, Opcode.authenticate, new Writer().string('org.apache.cassandra.auth.PasswordAuthenticator').finish(), 0);
          else this.send(conn, f.stream, Opcode.ready, Buffer.alloc(0), 0);
          return;
        case Opcode.options:
          this.send(conn, f.stream, Opcode.supported, supportedBody(), 0);
          return;
        case Opcode.register:
          r.stringList();
          conn.registered = true;
          this.send(conn, f.stream, Opcode.ready, Buffer.alloc(0), 0);
          return;
        case Opcode.query: {
          const query = r.longString();
          const params = readQueryParams(r);
          const parsed = this.engine.parse(query);
          const d = this.fault(query, parsed.stmt.type, params.consistency);
          delayMs = d.delayMs;
          if (d.drop) {
            conn.socket.destroy();
            return;
          }
          if (d.error) throw d.error;
          const res = this.engine.execute(parsed, conn.session, {
            values: params.values,
            names: params.names,
            pageSize: params.pageSize,
            pagingState: params.pagingState,
            timestamp: params.timestamp,
          });
          this.send(conn, f.stream, Opcode.result, resultBody(res, false), delayMs);
          return;
        }
        case Opcode.prepare: {
          const query = r.longString();
          const p = this.engine.prepare(query, conn.session);
          const bindSpecs = p.binds.specs.map((s) => ({ keyspace: s.keyspace, table: s.table, name: s.name, type: s.type }));
          this.send(conn, f.stream, Opcode.result, preparedBody(p.id, bindSpecs, p.binds.pkIndexes, p.result), 0);
          return;
        }
        case Opcode.execute: {
          const id = r.shortBytes();
          const p = this.engine.prepared.get(id.toString('hex'));
          if (!p)
            throw new CqlError(
              ErrorCode.unprepared,
              `Prepared query with ID ${id.toString('hex')} not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)`,
              { kind: 'unprepared', id: Buffer.from(id) },
            );
          const params = readQueryParams(r);
          const d = this.fault(p.query, p.parsed.stmt.type, params.consistency);
          delayMs = d.delayMs;
          if (d.drop) {
            conn.socket.destroy();
            return;
          }
          if (d.error) throw d.error;
          this.executeCount++;
          const session = p.keyspace !== null && conn.session.keyspace === null ? { keyspace: p.keyspace, host: this.host } : conn.session;
          const res = this.engine.execute(p.parsed, session, {
            values: params.values,
            names: params.names,
            pageSize: params.pageSize,
            pagingState: params.pagingState,
            timestamp: params.timestamp,
          });
          this.send(conn, f.stream, Opcode.result, resultBody(res, params.skipMetadata), delayMs);
          return;
        }
        case Opcode.batch: {
          const b = readBatch(r);
          const children = b.children.map((c) => {
            if (c.query !== null) return { parsed: this.engine.parse(c.query), values: c.values, query: c.query };
            const p = this.engine.prepared.get(c.id!.toString('hex'));
            if (!p) throw new CqlError(ErrorCode.unprepared, `Prepared query with ID ${c.id!.toString('hex')} not found`, { kind: 'unprepared', id: Buffer.from(c.id!) });
            return { parsed: p.parsed, values: c.values, query: p.query };
          });
          const d = this.fault(children.map((c) => c.query).join('; '), 'batch', b.consistency);
          delayMs = d.delayMs;
          if (d.drop) {
            conn.socket.destroy();
            return;
          }
          if (d.error) throw d.error;
          const res = this.engine.executeBatch(children, conn.session, b.timestamp);
          this.send(conn, f.stream, Opcode.result, resultBody(res, false), delayMs);
          return;
        }
        case Opcode.authResponse: {
          // SASL PLAIN token: \0username\0password
          const [, username = '', password = ''] = (r.bytes() ?? Buffer.alloc(0)).toString('utf8').split('\0');
          this.credentialsSeen.push({ username, password });
          if (this.auth && (username !== this.auth.username || password !== this.auth.password)) {
            throw new CqlError(ErrorCode.badCredentials, 'Provided username and/or password are incorrect');
          }
          this.send(conn, f.stream, Opcode.authSuccess, new Writer().int(-1).finish(), 0);
          return;
        }
        default:
          throw new CqlError(ErrorCode.protocol, `Unknown opcode ${f.opcode}`);
      }
    } catch (e) {
      const err = e instanceof CqlError ? e : serverError(e instanceof Error ? `${e.message}` : String(e));
      this.send(conn, f.stream, Opcode.error, errorBody(err), delayMs);
    }
  }

  private fault(query: string, type: string, consistency: number): { delayMs: number; drop: boolean; error: CqlError | null } {
    const isWrite = type === 'insert' || type === 'update' || type === 'delete' || type === 'batch';
    const isRead = type === 'select';
    if (!isWrite && !isRead) return { delayMs: this.engine.faults.config.delayMs ?? 0, drop: false, error: null };
    const m = /\bfrom\s+([\w."$]+)|\binto\s+([\w."$]+)|\bupdate\s+([\w."$]+)/i.exec(query);
    const target = (m?.[1] ?? m?.[2] ?? m?.[3] ?? 'table').replace(/"/g, '');
    return this.engine.faults.decide(query, isWrite, target, consistency);
  }
}

export function resultBody(res: ExecResult, skipMetadata: boolean): Buffer {
  switch (res.kind) {
    case 'void':
      return voidBody();
    case 'setKeyspace':
      return setKeyspaceBody(res.keyspace);
    case 'schema':
      return schemaChangeBody(res.change);
    case 'rows': {
      const w = new Writer(64 + res.rows.length);
      w.int(0x0002);
      writeRowsMetadata(w, res.cols, res.pagingState, skipMetadata);
      w.int(res.count);
      w.raw(res.rows);
      return w.finish();
    }
  }
}
