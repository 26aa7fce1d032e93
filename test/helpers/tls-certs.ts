/**
 * Certificates made at test time with openssl into a temp dir: a CA, a server certificate for
 * 127.0.0.1/localhost, one for a DNS name only, a client certificate, and an unrelated CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  otherCa: string;
  serverCert: string;
  serverKey: string;
  /** Valid for `dnsName` only: no IP in its names. */
  dnsOnlyCert: string;
  dnsOnlyKey: string;
  dnsName: string;
  clientCert: string;
  clientKey: string;
  read(path: string): string;
  remove(): void;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function issue(dir: string, name: string, cn: string, ext: string): void {
  openssl(dir, ['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

/** `clientCn` is the client certificate's subject CN (PostgreSQL maps it to the user name). */
export function makeTestCerts(clientCn = 'postgres'): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  const dnsName = 'scylla.cdc.test';
  issue(dir, 'server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'dns-only', dnsName, `subjectAltName=DNS:${dnsName}\nextendedKeyUsage=serverAuth\n`);
  issue(dir, 'client', clientCn, 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p('ca.crt'),
    otherCa: p('other-ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    dnsOnlyCert: p('dns-only.crt'),
    dnsOnlyKey: p('dns-only.key'),
    dnsName,
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    read: (path) => readFileSync(path, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
