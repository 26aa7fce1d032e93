/** The CLI contract operators script against: --help, exit code 2 on bad config naming the variable. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

function cli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    timeout: 60_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

describe('scylla-pg-cdc CLI', () => {
  it('lists the commands', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n\s+source\s/);
    expect(r.out).toMatch(/\n\s+sink\s/);
  });

  it('lists every variable with its default in a subcommand --help', () => {
    const r = cli(['sink', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/SINK_BATCH_SIZE\s+5000/);
    expect(r.out).toMatch(/DLQ_TOPIC\s+dlq-postgres-sink/);
  });

  it('exits 2 and names each bad variable', () => {
    const r = cli(['source'], { CDC_POLL_INTERVAL_MS: 'soon' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('SCYLLA_TABLES: required');
    expect(r.err).toContain('CDC_POLL_INTERVAL_MS: expected an integer');
  });

  it('pause and resume exit 2 with their usage on bad arguments, before reading any configuration', () => {
    const r = cli(['pause', '--table', 'users']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--table expects keyspace\.table.*\nusage: scylla-pg-cdc pause/s);
    expect(cli(['resume']).code).toBe(2);
  });

  it('exits 2 on an unknown command', () => {
    expect(cli(['frobnicate']).code).toBe(2);
  });
});
