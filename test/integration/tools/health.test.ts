/** `scylla-pg-cdc health` against the real local stack, with one dependency pointed at a dead port. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PG_URL, SCHEMA_REGISTRY_URL } from '../../helpers/stack-env.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

function health(env: Record<string, string>, args: string[] = []) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'health', '--json', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', SCHEMA_REGISTRY_URL, PG_URL, ...env },
    timeout: 60_000,
  });
  const results = JSON.parse(res.stdout) as { name: string; ok: boolean; detail: string }[];
  return { code: res.status, byName: Object.fromEntries(results.map((r) => [r.name, r])) };
}

describe('scylla-pg-cdc health', () => {
  it('exits 0 when every dependency answers', () => {
    const r = health({}, ['--no-processes']);
    expect(Object.keys(r.byName).sort()).toEqual(['kafka', 'postgres', 'registry', 'scylla']);
    expect(Object.values(r.byName).filter((p) => !p.ok)).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('exits 1 and names the dependency that is down', () => {
    const r = health({ KAFKA_BROKERS: '127.0.0.1:1' }, ['--no-processes']);
    expect(r.code).toBe(1);
    expect(r.byName.kafka?.ok).toBe(false);
    expect(r.byName.postgres?.ok).toBe(true);
  });

  it('reports a process that is not running', () => {
    const r = health({ SINK_STATUS_URL: 'http://127.0.0.1:39999', SOURCE_STATUS_URL: 'http://127.0.0.1:39998' });
    expect(r.code).toBe(1);
    expect(r.byName.sink?.detail).toMatch(/connection refused/);
  });
});
