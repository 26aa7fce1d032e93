/**
 * Logs what a process of ours logs when something goes wrong (a config object, an error quoting a
 * URL, a message naming a known secret) through the real logger, which writes to a file descriptor:
 * so it runs as a child process and logger.test.ts reads its stdout.
 */
import { createLogger } from '../../../src/log/logger.js';
import { rememberSecret } from '../../../src/log/secrets.js';

rememberSecret(process.env.KNOWN_SECRET);
const log = createLogger('redaction-test', 'info');
log.info(
  {
    cfg: { pgHost: 'db.internal', pgUrl: 'postgres://app:UrlPw-1x9@db/warehouse', scyllaPassword: 'PathPw-2k7', kafkaSslKey: 'KeyPem-3j5' },
    password: 'TopPw-4h2',
    sasl: { mechanism: 'plain', password: 'SaslPw-5g8' },
    ssl: { key: 'SslKey-6f1' },
  },
  'config loaded',
);
log.error({ err: new Error('connect failed: postgres://app:ErrPw-7d3@db/warehouse refused') }, 'start failed');
log.warn(`auth refused for ${process.env.KNOWN_SECRET}`);
