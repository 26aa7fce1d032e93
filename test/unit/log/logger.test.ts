/**
 * The logger hides secrets by two means: redact paths (a config field named like a secret, whatever
 * its value) and a scrub of every serialized line (a URL password or a remembered secret anywhere,
 * e.g. in an error message). Each field below is caught by one of them only.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./logger-child.ts', import.meta.url));
const KNOWN = 'Known-Secret-8c4';

function logLines(): Record<string, unknown>[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', KNOWN_SECRET: KNOWN }, timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logger redaction', () => {
  const lines = logLines();

  it('replaces fields on the redact paths, keeping the rest of the object', () => {
    expect(lines[0]).toMatchObject({
      msg: 'config loaded',
      cfg: { pgHost: 'db.internal', pgUrl: '<redacted>', scyllaPassword: '<redacted>', kafkaSslKey: '<redacted>' },
      password: '<redacted>',
      sasl: { mechanism: 'plain', password: '<redacted>' },
      ssl: { key: '<redacted>' },
    });
  });

  it('scrubs a URL password inside an error message and a remembered secret inside a message', () => {
    expect((lines[1] as { err: { message: string } }).err.message).toBe('connect failed: postgres://app:<redacted>@db/warehouse refused');
    expect(lines[2]!.msg).toBe('auth refused for <redacted>');
  });

  it('leaves no secret anywhere in the output', () => {
    const text = JSON.stringify(lines);
    expect(['UrlPw-1x9', 'PathPw-2k7', 'KeyPem-3j5', 'TopPw-4h2', 'SaslPw-5g8', 'SslKey-6f1', 'ErrPw-7d3', KNOWN].filter((s) => text.includes(s))).toEqual([]);
    expect(lines).toHaveLength(3);
  });
});
