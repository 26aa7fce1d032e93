// `WITH cdc = {...}` parsing and the serialized forms clients read back (scylladb cdc/log.cc
// cdc::options::options: keys and values are case-insensitive; preimage takes only true/false/1/0/
// 'full'; ttl is read like std::stoi; unknown keys and ttl range errors start "Invalid CDC option: ").
import { CqlError, ErrorCode } from '../errors.js';

export interface CdcOptions {
  enabled: boolean;
  preimage: 'false' | 'true' | 'full';
  postimage: boolean;
  delta: 'full' | 'keys';
  ttl: number;
  /** False until `enabled` was given once: ScyllaDB then serializes an empty map. */
  enabledSet: boolean;
}

export function defaultCdcOptions(): CdcOptions {
  return { enabled: false, preimage: 'false', postimage: false, delta: 'full', ttl: 86400, enabledSet: false };
}

function configError(msg: string): CqlError {
  return new CqlError(ErrorCode.config, msg);
}

function parseBool(key: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw configError(`Invalid value for CDC option "${key}": ${raw}`);
}

/**
 * Parses a whole `cdc = {...}` map. ALTER also starts from the defaults: the new map replaces the
 * old one, so options left out fall back to their defaults (the extension is rebuilt from the given
 * map alone; cql3/statements/alter_table_statement.cc only insists on 'enabled').
 */
export function parseCdcOptions(entries: [string, string][]): CdcOptions {
  const out = defaultCdcOptions();
  for (const [rawKey, rawValue] of entries) {
    const key = rawKey.toLowerCase();
    const v = rawValue.toLowerCase();
    switch (key) {
      case 'enabled':
        out.enabled = parseBool(key, rawValue);
        out.enabledSet = true;
        break;
      case 'preimage':
        if (v === 'full') out.preimage = 'full';
        else out.preimage = parseBool(key, rawValue) ? 'true' : 'false';
        break;
      case 'postimage':
        out.postimage = parseBool(key, rawValue);
        break;
      case 'delta':
        if (v !== 'full' && v !== 'keys') throw configError(`Invalid value for CDC option "${key}": ${rawValue}`);
        out.delta = v;
        break;
      case 'ttl': {
        // std::stoi: leading blanks and a sign, then the longest run of digits; the rest is ignored.
        const m = /^\s*([+-]?[0-9]+)/.exec(rawValue);
        if (!m) throw configError(`Invalid value for CDC option "${key}": ${rawValue}`);
        const n = Number(m[1]);
        if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw configError('Invalid CDC option: ttl too large');
        if (n < 0) throw configError('Invalid CDC option: ttl must be >= 0');
        out.ttl = n;
        break;
      }
      // Feature-gated flags of Alternator Streams: accepted, not modelled.
      case 'enable_requested':
      case 'tablet_merge_blocked':
        parseBool(key, rawValue);
        break;
      default:
        throw configError(`Invalid CDC option: ${rawKey}`);
    }
  }
  return out;
}

export function cdcOptionsMap(o: CdcOptions | null): [string, string][] {
  if (!o || !o.enabledSet) return [];
  return [
    ['delta', o.delta],
    ['enabled', String(o.enabled)],
    ['postimage', String(o.postimage)],
    ['preimage', o.preimage],
    ['ttl', String(o.ttl)],
  ];
}

/** map<string,string> with little-endian int32 counts and lengths, as scylla-cdc-go decodes it. */
export function cdcExtensionBlob(o: CdcOptions | null): Buffer | null {
  const entries = cdcOptionsMap(o);
  if (entries.length === 0) return null;
  const parts: Buffer[] = [];
  const int = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32LE(n);
    return b;
  };
  parts.push(int(entries.length));
  for (const [k, v] of entries) {
    const kb = Buffer.from(k);
    const vb = Buffer.from(v);
    parts.push(int(kb.length), kb, int(vb.length), vb);
  }
  return Buffer.concat(parts);
}
