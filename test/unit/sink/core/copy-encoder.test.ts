import { describe, expect, it } from 'vitest';
import { encodeCopyRow, escapeCopyField } from '../../../../src/sink/core/copy-encoder.js';

describe('COPY text encoding', () => {
  it('writes NULL as \\N and an empty string as nothing', () => {
    expect(encodeCopyRow([null, '', 'a'])).toBe('\\N\t\ta\n');
  });
  it('escapes backslash, tab, newline and carriage return', () => {
    expect(escapeCopyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });
  it('keeps unicode, quotes and the literal text \\N distinct from NULL', () => {
    expect(escapeCopyField('zürich "q" 🎉')).toBe('zürich "q" 🎉');
    expect(escapeCopyField('\\N')).toBe('\\\\N');
  });
  it('passes bytea hex, arrays and jsonb text through with their backslashes escaped', () => {
    expect(encodeCopyRow(['\\x00ff', '{"a\\"b",NULL}', '{"k": "t\\tx"}'])).toBe('\\\\x00ff\t{"a\\\\"b",NULL}\t{"k": "t\\\\tx"}\n');
  });
});
