// `WITH cdc = {...}` parsing and the serialized forms clients read back (scylla-cdc.md §1;
// scylladb cdc/log.cc cdc::options).
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

function parseBool(key: string, v: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw configError(`Invalid value for CDC option "${key}": ${v}`);
}

/** Applies the given map on top of `base` (ALTER keeps options that are not mentioned). */
export function parseCdcOptions(entries: [string, string][], base: CdcOptions = defaultCdcOptions()): CdcOptions {
  const out = { ...base };
  for (const [rawKey, rawValue] of entries) {
    const key = rawKey.toLowerCase();
    const v = rawValue.toLowerCase();
    switch (key) {
      case 'enabled': out.enabled = parseBool(key, v); out.enabledSet = true; break;
      case 'preimage':
        if (v === 'full') out.preimage = 'full';
        else if (v === 'on') out.preimage = 'true';
        else out.preimage = parseBool(key, v) ? 'true' : 'false';
        break;
      case 'postimage': out.postimage = parseBool(key, v); break;
      case 'delta':
        if (v !== 'full' && v !== 'keys') throw configError(`Invalid value for CDC option "${key}": ${rawValue}`);
        out.delta = v;
        break;
      case 'ttl': {
        if (!/^-?[0-9]+$/.test(v)) throw configError(`Invalid value for CDC option "${key}": ${rawValue}`);
        const n = Number(v);
        if (n < 0) throw configError('ttl must be >= 0');
        if (n > 2 ** 31 - 1) throw configError('ttl too large');
        out.ttl = n;
        break;
      }
      default: throw configError(`Invalid CDC option: ${key}`);
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
  const int = (n: number): Buffer => { const b = Buffer.allocUnsafe(4); b.writeInt32LE(n); return b; };
  parts.push(int(entries.length));
  for (const [k, v] of entries) {
    const kb = Buffer.from(k);
    const vb = Buffer.from(v);
    parts.push(int(kb.length), kb, int(vb.length), vb);
  }
  return Buffer.concat(parts);
}
