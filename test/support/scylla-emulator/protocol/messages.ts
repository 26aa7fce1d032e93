// Request bodies (QUERY/EXECUTE/BATCH parameters) and response bodies (RESULT, ERROR, EVENT,
// SUPPORTED) of protocol v4.
import type { CqlError } from '../errors.js';
import { writeTypeOption, type CqlType } from '../schema/types.js';
import { Reader, Writer, type BoundValue } from './buffer.js';

export interface QueryParams {
  consistency: number;
  values: BoundValue[];
  names: string[] | null;
  skipMetadata: boolean;
  pageSize: number;
  pagingState: Buffer | null;
  serialConsistency: number | null;
  timestamp: bigint | null;
}

export function readQueryParams(r: Reader): QueryParams {
  const consistency = r.short();
  const flags = r.byte();
  const p: QueryParams = {
    consistency,
    values: [],
    names: null,
    skipMetadata: (flags & 0x02) !== 0,
    pageSize: -1,
    pagingState: null,
    serialConsistency: null,
    timestamp: null,
  };
  if (flags & 0x01) {
    const n = r.short();
    if (flags & 0x40) p.names = [];
    for (let i = 0; i < n; i++) {
      if (flags & 0x40) p.names!.push(r.string().toLowerCase());
      p.values.push(r.value());
    }
  }
  if (flags & 0x04) p.pageSize = r.int();
  if (flags & 0x08) p.pagingState = r.bytes();
  if (flags & 0x10) p.serialConsistency = r.short();
  if (flags & 0x20) p.timestamp = r.long();
  return p;
}

export interface BatchChild {
  query: string | null;
  id: Buffer | null;
  values: BoundValue[];
}

export interface BatchRequest {
  type: number;
  children: BatchChild[];
  consistency: number;
  timestamp: bigint | null;
}

export function readBatch(r: Reader): BatchRequest {
  const type = r.byte();
  const n = r.short();
  const children: BatchChild[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.byte();
    const child: BatchChild = { query: null, id: null, values: [] };
    if (kind === 0) child.query = r.longString();
    else child.id = r.shortBytes();
    const nv = r.short();
    for (let j = 0; j < nv; j++) child.values.push(r.value());
    children.push(child);
  }
  const consistency = r.short();
  const flags = r.byte();
  let timestamp: bigint | null = null;
  if (flags & 0x10) r.short();
  if (flags & 0x20) timestamp = r.long();
  return { type, children, consistency, timestamp };
}

export interface ColSpec {
  keyspace: string;
  table: string;
  name: string;
  type: CqlType;
}

function writeColSpecs(w: Writer, cols: readonly ColSpec[], global: boolean): void {
  if (global && cols.length > 0) {
    w.string(cols[0]!.keyspace);
    w.string(cols[0]!.table);
  }
  for (const c of cols) {
    if (!global) {
      w.string(c.keyspace);
      w.string(c.table);
    }
    w.string(c.name);
    writeTypeOption(w, c.type);
  }
}

function isGlobal(cols: readonly ColSpec[]): boolean {
  return cols.length > 0 && cols.every((c) => c.keyspace === cols[0]!.keyspace && c.table === cols[0]!.table);
}

/** Rows metadata: flags, column count, optional paging state, column specs. */
export function writeRowsMetadata(w: Writer, cols: readonly ColSpec[], pagingState: Buffer | null, noMetadata: boolean): void {
  const global = isGlobal(cols);
  let flags = 0;
  if (global && !noMetadata) flags |= 0x0001;
  if (pagingState) flags |= 0x0002;
  if (noMetadata) flags |= 0x0004;
  w.int(flags);
  w.int(cols.length);
  if (pagingState) w.bytes(pagingState);
  if (!noMetadata) writeColSpecs(w, cols, global);
}

export function preparedBody(id: Buffer, binds: readonly ColSpec[], pkIndexes: readonly number[], result: readonly ColSpec[] | null): Buffer {
  const w = new Writer();
  w.int(0x0004);
  w.shortBytes(id);
  const global = isGlobal(binds);
  w.int(global ? 0x0001 : 0);
  w.int(binds.length);
  w.int(pkIndexes.length);
  for (const i of pkIndexes) w.short(i);
  writeColSpecs(w, binds, global);
  if (result && result.length > 0) writeRowsMetadata(w, result, null, false);
  else {
    w.int(0x0004);
    w.int(0);
  }
  return w.finish();
}

export function voidBody(): Buffer {
  return new Writer(4).int(0x0001).finish();
}

export function setKeyspaceBody(ks: string): Buffer {
  return new Writer().int(0x0003).string(ks).finish();
}

export interface SchemaChange {
  change: 'CREATED' | 'UPDATED' | 'DROPPED';
  target: 'KEYSPACE' | 'TABLE' | 'TYPE';
  keyspace: string;
  name?: string;
}

function writeSchemaChange(w: Writer, c: SchemaChange): void {
  w.string(c.change);
  w.string(c.target);
  w.string(c.keyspace);
  if (c.target !== 'KEYSPACE') w.string(c.name ?? '');
}

export function schemaChangeBody(c: SchemaChange): Buffer {
  const w = new Writer().int(0x0005);
  writeSchemaChange(w, c);
  return w.finish();
}

export function schemaChangeEvent(c: SchemaChange): Buffer {
  const w = new Writer().string('SCHEMA_CHANGE');
  writeSchemaChange(w, c);
  return w.finish();
}

export function errorBody(e: CqlError): Buffer {
  const w = new Writer().int(e.code).string(e.message);
  const x = e.extra;
  if (x) {
    switch (x.kind) {
      case 'unavailable':
        w.short(x.consistency).int(x.required).int(x.alive);
        break;
      case 'writeTimeout':
        w.short(x.consistency).int(x.received).int(x.blockFor).string(x.writeType);
        break;
      case 'readTimeout':
        w.short(x.consistency)
          .int(x.received)
          .int(x.blockFor)
          .byte(x.dataPresent ? 1 : 0);
        break;
      case 'alreadyExists':
        w.string(x.keyspace).string(x.table);
        break;
      case 'unprepared':
        w.shortBytes(x.id);
        break;
    }
  }
  return w.finish();
}

export function supportedBody(): Buffer {
  return new Writer().stringMultimap({ CQL_VERSION: ['3.3.1'], COMPRESSION: [], PROTOCOL_VERSIONS: ['3/v3', '4/v4'] }).finish();
}
