/** pino JSON logs. Secrets are redacted by path so a logged config or error never leaks them. */
import { destination, pino, type Logger } from 'pino';
import { scrub } from './secrets.js';

export type { Logger };

export const REDACT_PATHS = [
  'pgUrl',
  '*.pgUrl',
  'scyllaPassword',
  '*.scyllaPassword',
  'kafkaSaslPassword',
  '*.kafkaSaslPassword',
  'schemaRegistryPassword',
  '*.schemaRegistryPassword',
  'password',
  '*.password',
  'sasl.password',
  'connectionString',
  '*.connectionString',
  'ssl.key',
  '*.ssl.key',
  'kafkaSslKey',
  '*.kafkaSslKey',
  'pgSslKey',
  '*.pgSslKey',
  'scyllaSslKey',
  '*.scyllaSslKey',
  'schemaRegistrySslKey',
  '*.schemaRegistrySslKey',
];

/** Services log to stdout; tools log to stderr so their stdout stays machine-readable (--json). */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info', stream: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(
    {
      level,
      base: { component },
      redact: { paths: REDACT_PATHS, censor: '<redacted>' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Last line of defence: the serialized line is scrubbed whatever carried the secret (an error
      // message quoting a URL, a driver's option dump), not only the redact paths above.
      hooks: { streamWrite: scrub },
    },
    destination({ fd: stream === 'stdout' ? 1 : 2, sync: stream === 'stderr' }),
  );
}

/** A connection URL fit to show: user-info password and password-like parameters hidden. */
export function redactUrl(raw: string): string {
  try {
    new URL(raw);
  } catch {
    return '<unparseable url>'; // never echo a string that may hold a secret
  }
  return scrub(raw);
}
