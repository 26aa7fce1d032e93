/**
 * The one redaction function: every text that leaves the process (log lines, error messages, tool
 * output, /status) goes through it, so a secret is hidden whatever form carries it.
 *
 * Forms covered: the password of a URL's user info (`scheme://user:secret@host`), password-like
 * query parameters (`?password=…`, `&sslpassword=…`), an HTTP Basic/Bearer credential, and any
 * value the process knows to be secret (a `*_PASSWORD` variable, the contents of a `*_FILE`, a
 * private key), in plain and in JSON-escaped form. Pure: the known values are passed in.
 */

export const REDACTED = '<redacted>';

// scheme://user:password@  — the password ends at the last '@' before the host part. A backslash
// ends a match too: inside a JSON string it starts an escape that must stay whole.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s/:@"'<>\\]*):([^\s/"'<>\\]*)@/gi;
// ?password=…  &sslpassword=…  &sasl.password=…  (query strings, libpq key=value strings)
const PASSWORD_PARAM = /((?:^|[?&;\s"'])(?:[a-z_.]*password|passwd|pwd|secret|token|api[_-]?key)=)([^&;\s"'<>\\]*)/gi;
const AUTH_HEADER = /\b(basic|bearer)\s+[a-z0-9+/=._~-]{8,}/gi;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** Secrets shorter than this are not searched for verbatim (a 1-char password would blank every line). */
const MIN_KNOWN_LENGTH = 4;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The forms a known secret may take in output: as is, JSON-escaped, URL-encoded. */
function formsOf(secret: string): string[] {
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 16) forms.add(line.trim());
  return [...forms].filter((f) => f.length >= MIN_KNOWN_LENGTH).sort((a, b) => b.length - a.length);
}

export function redact(text: string, known: Iterable<string> = []): string {
  let out = text.replace(PRIVATE_KEY, REDACTED);
  for (const secret of known) {
    for (const form of formsOf(secret)) out = out.replace(new RegExp(escapeRegExp(form), 'g'), REDACTED);
  }
  return out
    .replace(URL_USERINFO, (_m, head: string) => `${head}:${REDACTED}@`)
    .replace(PASSWORD_PARAM, (_m, head: string) => `${head}${REDACTED}`)
    .replace(AUTH_HEADER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
}

/** The secret parts of a connection URL (user-info password, password-like query values), for `known`. */
export function urlSecrets(raw: string): string[] {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return []; // not a URL: nothing structured to extract; the patterns above still apply
  }
  const out: string[] = [];
  if (u.password) out.push(u.password, decodeURIComponent(u.password));
  for (const [k, v] of u.searchParams) if (/password|passwd|pwd|secret|token|key$/i.test(k) && v) out.push(v);
  return out;
}
