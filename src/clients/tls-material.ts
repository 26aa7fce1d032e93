/**
 * PEM material named by a variable: either the PEM text itself (as a `<NAME>_FILE` secret or an
 * inline value delivers it) or the path of a file holding it. Unreadable = configuration error.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/spec.js';

export function readPem(env: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    // The path is not secret, the contents would be; the error names only the path.
    throw new ConfigError([`${env}: cannot read ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
}

/** ca/cert/key for node:tls from three variables; absent ones are left out (system CAs, no client cert). */
export function tlsMaterial(prefix: string, files: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined }): { ca?: string; cert?: string; key?: string } {
  const out: { ca?: string; cert?: string; key?: string } = {};
  const ca = readPem(`${prefix}_CA`, files.ca);
  const cert = readPem(`${prefix}_CERT`, files.cert);
  const key = readPem(`${prefix}_KEY`, files.key);
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  return out;
}
