import { describe, expect, it } from 'vitest';
import { redact, REDACTED, urlSecrets } from '../../../src/core/redact.js';

describe('redact', () => {
  it('hides the password of URL user info and keeps the rest readable', () => {
    expect(redact('GET http://alice:s3cr3t-pw@registry:8081/subjects failed')).toBe(`GET http://alice:${REDACTED}@registry:8081/subjects failed`);
    expect(redact('postgres://postgres:hunter22@db:5432/warehouse')).toBe(`postgres://postgres:${REDACTED}@db:5432/warehouse`);
  });

  it('leaves URLs without credentials and host:port pairs alone', () => {
    const s = 'postgres://postgres@127.0.0.1:5432/warehouse and http://127.0.0.1:9101/status';
    expect(redact(s)).toBe(s);
  });

  it('hides password-like query and key=value parameters', () => {
    expect(redact('postgres://db/warehouse?sslmode=require&password=topsecret&application_name=x')).toBe(
      `postgres://db/warehouse?sslmode=require&password=${REDACTED}&application_name=x`,
    );
    expect(redact('host=db sslpassword=abcd1234 user=u')).toBe(`host=db sslpassword=${REDACTED} user=u`);
  });

  it('keeps JSON valid: a match never swallows an escape', () => {
    const line = JSON.stringify({ msg: 'failed: postgres://a:pw-1234@h/db?password="q1w2e3"\nnext', url: 'http://u:p\\ss@h' });
    const out = redact(line);
    expect(() => JSON.parse(out)).not.toThrow();
    expect(out).not.toContain('pw-1234');
    expect((JSON.parse(out) as { msg: string }).msg).toContain('\nnext');
  });

  it('hides HTTP credentials and PEM private keys', () => {
    expect(redact('authorization: Basic YWxpY2U6czNjcjN0LXB3')).toBe(`authorization: Basic ${REDACTED}`);
    const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
    expect(redact(`loaded ${key} ok`)).toBe(`loaded ${REDACTED} ok`);
  });

  it('hides known secret values, also JSON-escaped and URL-encoded', () => {
    const secret = 'pa"ss/w\\ord';
    const known = [secret];
    expect(redact(`error: bad password ${secret}`, known)).toBe(`error: bad password ${REDACTED}`);
    expect(redact(JSON.stringify({ msg: `x ${secret} y` }), known)).toBe(JSON.stringify({ msg: `x ${REDACTED} y` }));
    expect(redact(`?p=${encodeURIComponent(secret)}`, known)).toBe(`?p=${REDACTED}`);
  });

  it('ignores known values too short to search for', () => {
    expect(redact('a b c', ['b'])).toBe('a b c');
  });

  it('urlSecrets extracts the password and password-like parameters', () => {
    expect(urlSecrets('http://u:p%40ss@h/x?password=q1&sslkey=/k&x=1').sort()).toEqual(['/k', 'p%40ss', 'p@ss', 'q1'].sort());
    expect(urlSecrets('not a url')).toEqual([]);
  });
});
