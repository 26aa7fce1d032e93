import { describe, expect, it } from 'vitest';
import { arrayText, dateText, decimalText, inetText, jsonText, listKeyText, scalarText, timeText, timestampText } from '../../../../src/sink/core/pg-text.js';

describe('PG text rendering', () => {
  it("decimals from two's complement bytes with scale", () => {
    expect(decimalText(Uint8Array.from([0x04, 0xd2]), 2)).toBe('12.34');
    expect(decimalText(Uint8Array.from([0xfb, 0x2e]), 2)).toBe('-12.34');
    expect(decimalText(Uint8Array.from([0x05]), 3)).toBe('0.005');
    expect(decimalText(Uint8Array.from([0x05]), -2)).toBe('500');
  });
  it('timestamps in ms and µs, before 1970 too', () => {
    expect(timestampText(1_700_000_000_123n, 'ms')).toBe('2023-11-14T22:13:20.123+00');
    expect(timestampText(1_700_000_000_123_456n, 'us')).toBe('2023-11-14T22:13:20.123456+00');
    expect(timestampText(-1n, 'us')).toBe('1969-12-31T23:59:59.999999+00');
  });
  it('dates, times, inet, bytea', () => {
    expect(dateText(0)).toBe('1970-01-01');
    expect(() => dateText(2_000_000_000)).toThrow(/range/);
    expect(timeText(3_723_000_004n, 'us')).toBe('01:02:03.000004');
    expect(inetText(Uint8Array.from([10, 0, 0, 1]))).toBe('10.0.0.1');
    expect(scalarText(Uint8Array.from([0, 255]), { c: 'bytea' })).toBe('\\x00ff');
  });
  it('rejects NUL in text', () => {
    expect(() => scalarText('a\u0000b', { c: 'text' })).toThrow(/NUL/);
  });
  it('arrays quote every element and escape quotes and backslashes', () => {
    expect(arrayText(['a"b', 'c\\d', null, 'x,y'], { c: 'text' })).toBe('{"a\\"b","c\\\\d",NULL,"x,y"}');
  });
  it('json keeps int64 exact, renders maps as objects and records as objects', () => {
    const names = new Map();
    expect(jsonText(9_007_199_254_740_993n, 'long', names)).toBe('9007199254740993');
    const entry = {
      type: 'record',
      name: 'm_Entry',
      fields: [
        { name: 'key', type: 'int' },
        { name: 'value', type: ['null', 'string'] },
      ],
    };
    expect(
      JSON.parse(
        jsonText(
          [
            { key: 1, value: 'a' },
            { key: 2, value: null },
          ],
          { type: 'array', items: entry },
          names,
        ),
      ),
    ).toEqual({ 1: 'a', 2: null });
    const udt = {
      type: 'record',
      name: 'U',
      fields: [
        { name: 'f0', type: ['null', 'string'] },
        { name: 'f1', type: ['null', { type: 'int', logicalType: 'date' }] },
      ],
    };
    expect(JSON.parse(jsonText({ f0: 'x\ny', f1: 1 }, udt, names))).toEqual({ f0: 'x\ny', f1: '1970-01-02' });
  });
  it('list keys sort by the timeuuid time, not the uuid text', () => {
    const early = listKeyText('ffffffff-0000-1000-8000-000000000000');
    const late = listKeyText('00000000-0001-1000-8000-000000000000');
    expect(early < late).toBe(true);
  });
});
