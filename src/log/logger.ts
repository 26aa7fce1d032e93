/** pino JSON logs. Secrets are redacted by path so a logged config or error never leaks them. */
import { destination, pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'pgUrl', '*.pgUrl', 'scyllaPassword', '*.scyllaPassword', 'kafkaSaslPassword', '*.kafkaSaslPassword',
  'schemaRegistryPassword', '*.schemaRegistryPassword', 'password', '*.password', 'sasl.password',
  'connectionString', '*.connectionString',
];

/** Services log to stdout; tools log to stderr so their stdout stays machine-readable (--json). */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info', stream: 'stdout' | 'stderr' = 'stdout'): Logger {
  return pino(
    {
    level,
    base: { component },
    redact: { paths: REDACT_PATHS, censor: '<redacted>' },
    timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination({ fd: stream === 'stdout' ? 1 : 2, sync: stream === 'stderr' }),
  );
}

/** Replaces the password of a connection URL, for messages that must name the target. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>'; // never echo a string that may hold a secret
  }
}
