import { describe, expect, it } from 'vitest';
import { decodeCdcExtension, encodeCdcExtension } from '../../../src/schema/table-model.js';
import { cqlTypeToString, parseCqlType } from '../../../src/schema/cql-type.js';

describe('cdc extension blob (little-endian map<string,string>)', () => {
  it('decodes options with defaults', () => {
    const blob = encodeCdcExtension({ enabled: 'true', preimage: 'full', postimage: 'true', delta: 'keys', ttl: '600' });
    expect(decodeCdcExtension(blob)).toEqual({ enabled: true, preimage: 'full', postimage: true, delta: 'keys', ttlSeconds: 600 });
    expect(decodeCdcExtension(encodeCdcExtension({ enabled: 'false' }))).toMatchObject({ enabled: false, ttlSeconds: 86400 });
    expect(decodeCdcExtension(undefined)).toBeUndefined();
  });
  it('rejects a truncated blob', () => {
    expect(() => decodeCdcExtension(new Uint8Array([1, 0, 0, 0, 9, 0, 0, 0]))).toThrow(/truncated/);
  });
});

describe('parseCqlType', () => {
  it('parses nested and frozen types', () => {
    expect(cqlTypeToString(parseCqlType('map<int, frozen<list<text>>>'))).toBe('map<int, frozen<list<text>>>');
    expect(parseCqlType('list<int>')).toMatchObject({ kind: 'list', frozen: false });
    expect(() => parseCqlType('nope')).toThrow(/unknown/);
  });
});
