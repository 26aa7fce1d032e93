/**
 * A SIGTERM while a process is still starting (its dependency down, start-up retrying) ends the
 * process within the shutdown deadline instead of being ignored until the dependency returns.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KAFKA_BROKERS, randomName, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

/** Starts the command, waits for `retrying` in its log, sends SIGTERM, resolves to the exit code (null if still running after 60 s). */
function termWhileRetrying(command: string, env: Record<string, string>): Promise<{ code: number | null; log: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, command], { env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', SHUTDOWN_TIMEOUT_MS: '5000', ...env } });
  let log = '';
  let signalled = false;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (!signalled && /retrying/.test(log)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // Generous: start-up under tsx on a busy 2-core box, plus the 5 s deadline.
    const giveUp = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ code: null, log });
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(giveUp);
      resolve({ code, log });
    });
  });
}

describe('a signal during start-up', () => {
  it('stops the sink while it waits for PostgreSQL', async () => {
    const r = await termWhileRetrying('sink', {
      PG_URL: 'postgres://postgres@127.0.0.1:1/warehouse',
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL,
      SINK_GROUP_ID: randomName('sigterm'),
      SINK_TOPICS: randomName('sigterm'),
      PG_SCHEMA: randomName('sigterm'),
    });
    expect(r.log).toMatch(/draining/);
    expect(r.code).not.toBeNull();
  });

  it('stops the source while it waits for ScyllaDB', async () => {
    const r = await termWhileRetrying('source', {
      SCYLLA_CONTACT_POINTS: '127.0.0.1:1',
      SCYLLA_TABLES: 'ks.t',
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL,
      SOURCE_NAME: randomName('sigterm'),
    });
    expect(r.log).toMatch(/draining/);
    expect(r.code).toBe(0);
  });
});
