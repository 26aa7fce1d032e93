// Tokenizer for the CQL subset the emulator accepts. Unquoted identifiers and keywords are
// case-insensitive (kept lower-cased); quoted identifiers keep their case, as in CQL.
import { syntaxError } from '../errors.js';

export type TokenType = 'id' | 'qid' | 'str' | 'int' | 'float' | 'blob' | 'uuid' | 'punct' | 'bind' | 'named' | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  pos: number;
}

const UUID_RE = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/y;
const NUMBER_RE = /[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?/y;
const IDENT_RE = /[a-zA-Z_][a-zA-Z0-9_$]*/y;
const BLOB_RE = /0[xX][0-9a-fA-F]*/y;
const TWO_CHAR = new Set(['<=', '>=', '!=', '+=', '-=']);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if ((c === '-' && src[i + 1] === '-') || (c === '/' && src[i + 1] === '/')) {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === "'") {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= n) throw syntaxError(`line 1:${i} unterminated string literal`);
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            s += "'";
            j += 2;
            continue;
          }
          break;
        }
        s += src[j];
        j++;
      }
      out.push({ type: 'str', value: s, pos: i });
      i = j + 1;
      continue;
    }
    if (c === '$' && src[i + 1] === '$') {
      const end = src.indexOf('$$', i + 2);
      if (end < 0) throw syntaxError(`line 1:${i} unterminated $$ string`);
      out.push({ type: 'str', value: src.slice(i + 2, end), pos: i });
      i = end + 2;
      continue;
    }
    if (c === '"') {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= n) throw syntaxError(`line 1:${i} unterminated quoted identifier`);
        if (src[j] === '"') {
          if (src[j + 1] === '"') {
            s += '"';
            j += 2;
            continue;
          }
          break;
        }
        s += src[j];
        j++;
      }
      out.push({ type: 'qid', value: s, pos: i });
      i = j + 1;
      continue;
    }
    UUID_RE.lastIndex = i;
    let m = UUID_RE.exec(src);
    if (m) {
      out.push({ type: 'uuid', value: m[0].toLowerCase(), pos: i });
      i += m[0].length;
      continue;
    }
    BLOB_RE.lastIndex = i;
    m = BLOB_RE.exec(src);
    if (m && !/[a-zA-Z0-9_]/.test(src[i + m[0].length] ?? '')) {
      out.push({ type: 'blob', value: m[0].slice(2), pos: i });
      i += m[0].length;
      continue;
    }
    if (c >= '0' && c <= '9') {
      NUMBER_RE.lastIndex = i;
      m = NUMBER_RE.exec(src)!;
      const isFloat = m[1] !== undefined || m[2] !== undefined;
      out.push({ type: isFloat ? 'float' : 'int', value: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    IDENT_RE.lastIndex = i;
    m = IDENT_RE.exec(src);
    if (m) {
      out.push({ type: 'id', value: m[0].toLowerCase(), pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '?') {
      out.push({ type: 'bind', value: '?', pos: i });
      i++;
      continue;
    }
    if (c === ':' && /[a-zA-Z_]/.test(src[i + 1] ?? '')) {
      IDENT_RE.lastIndex = i + 1;
      m = IDENT_RE.exec(src)!;
      out.push({ type: 'named', value: m[0].toLowerCase(), pos: i });
      i += 1 + m[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR.has(two)) {
      out.push({ type: 'punct', value: two, pos: i });
      i += 2;
      continue;
    }
    if ('(),;.*=<>+-[]{}:'.includes(c)) {
      out.push({ type: 'punct', value: c, pos: i });
      i++;
      continue;
    }
    throw syntaxError(`line 1:${i} no viable alternative at character '${c}'`);
  }
  out.push({ type: 'eof', value: '', pos: n });
  return out;
}
