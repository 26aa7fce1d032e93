// Shared set-up for the emulator conformance suite: an in-process emulator on a random port and a
// real cassandra-driver client with default options.
import cassandra from 'cassandra-driver';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../support/scylla-emulator/index.js';

export interface Harness {
  emu: EmulatorHandle;
  client: cassandra.Client;
  close(): Promise<void>;
}

export async function startHarness(opts: EmulatorOptions = {}): Promise<Harness> {
  const emu = await startEmulator({ port: 0, ...opts });
  const client = new cassandra.Client({ contactPoints: [emu.contactPoint], localDataCenter: 'datacenter1' });
  await client.connect();
  return {
    emu,
    client,
    close: async () => {
      await client.shutdown();
      await emu.close();
    },
  };
}

let seq = 0;
export function uniqueName(prefix: string): string {
  seq++;
  return `${prefix}_${seq}`;
}

export type Compact = Record<string, unknown>;

/** Log rows of one table in (stream, time, seq) order, as compact objects with only non-null fields. */
export async function logRows(client: cassandra.Client, ks: string, table: string): Promise<Compact[]> {
  const rs = await client.execute(`SELECT * FROM ${ks}.${table}_scylla_cdc_log`, [], { fetchSize: 100000 });
  // Static-only partitions (closed tablet streams) come back with a null cdc$time: not changes.
  const rows = rs.rows
    .filter((r) => r['cdc$time'] !== null)
    .map((r) => {
      const o: Compact = {};
      for (const k of Object.keys(r)) {
        const v = (r as unknown as Record<string, unknown>)[k];
        if (v === null || v === undefined) continue;
        if (k === 'cdc$stream_id' || k === 'cdc$time') continue;
        o[k.replace('cdc$', '')] = normalize(v);
      }
      o['_time'] = (r['cdc$time'] as cassandra.types.TimeUuid).toString();
      o['_micros'] = timeMicros(r['cdc$time'] as cassandra.types.TimeUuid);
      o['_stream'] = (r['cdc$stream_id'] as Buffer).toString('hex');
      return o;
    });
  rows.sort((a, b) =>
    (a['_micros'] as bigint) < (b['_micros'] as bigint)
      ? -1
      : (a['_micros'] as bigint) > (b['_micros'] as bigint)
        ? 1
        : String(a['_time']).localeCompare(String(b['_time'])) || (a['batch_seq_no'] as number) - (b['batch_seq_no'] as number),
  );
  return rows;
}

/** Strips the bookkeeping fields so cases can compare rows exactly. */
export function strip(rows: Compact[]): Compact[] {
  return rows.map((r) => {
    const o = { ...r };
    delete o['_time'];
    delete o['_micros'];
    delete o['_stream'];
    return o;
  });
}

export function timeMicros(t: cassandra.types.TimeUuid): bigint {
  const b = t.getBuffer();
  const ticks = (BigInt(b.readUInt16BE(6) & 0x0fff) << 48n) | (BigInt(b.readUInt16BE(4)) << 32n) | BigInt(b.readUInt32BE(0));
  return (ticks - 0x01b21dd213814000n) / 10n;
}

function normalize(v: unknown): unknown {
  if (v instanceof cassandra.types.Long) return v.toNumber();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (v instanceof cassandra.types.TimeUuid || v instanceof cassandra.types.Uuid) return v.toString();
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

/** All rows of a query, following paging states page by page. */
export async function pageAll(client: cassandra.Client, query: string, params: unknown[], fetchSize: number): Promise<cassandra.types.Row[]> {
  const out: cassandra.types.Row[] = [];
  let pageState: string | undefined;
  do {
    const rs = await client.execute(query, params, { prepare: true, fetchSize, pageState });
    out.push(...rs.rows);
    pageState = rs.pageState ?? undefined;
  } while (pageState);
  return out;
}

export function isStatic(c: unknown): boolean {
  return (c as { isStatic: boolean }).isStatic;
}
