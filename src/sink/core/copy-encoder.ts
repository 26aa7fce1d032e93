/**
 * COPY … FROM STDIN (FORMAT text) encoding. Fields are separated by tab, rows end with newline, SQL
 * NULL is `\N`, and backslash, tab, newline and carriage return inside a field are backslash-escaped
 * (PostgreSQL docs, "COPY — Text Format"). Fields are PG text input already (pg-text.ts).
 */
const NEEDS_ESCAPE = /[\\\t\n\r]/;

export function escapeCopyField(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export function encodeCopyRow(fields: (string | null)[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += '\t';
    line += escapeCopyField(fields[i]!);
  }
  return `${line}\n`;
}
