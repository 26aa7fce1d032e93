/**
 * `npm test`: brings the local stack up once (Kafka, registry, Scylla emulator, PostgreSQL), runs the
 * unit and integration suite, then the shortened chaos run alone (it restarts Kafka and PostgreSQL),
 * stops what it started, and ends with one plain `tests: N passed, N failed` line.
 * Extra arguments go to the main vitest run (e.g. a path filter). CDC_SKIP_CHAOS=1 skips the chaos
 * run for quick local iterations; CI never sets it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStack, STATE_DIR, stopStack } from './stack-control.js';

const log = (l: string) => process.stderr.write(`[stack] ${l}\n`);
const { started } = await ensureStack({ log });
// The stack is up: the vitest global setup must neither start nor stop it again.
const env = { ...process.env, CDC_TEST_STACK: 'off' };
mkdirSync(STATE_DIR, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };

function vitest(name: string, args: string[]): number {
  const out = join(STATE_DIR, `test-results-${name}.json`);
  rmSync(out, { force: true });
  const status =
    spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...args], { stdio: 'inherit', env })
      .status ?? 1;
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
  } else if (status !== 0) {
    totals.failed += 1; // the runner itself failed before reporting
  }
  return status;
}

let code = vitest('main', process.argv.slice(2));
if (code === 0 && process.env.CDC_SKIP_CHAOS !== '1') code = vitest('chaos', ['--config', 'vitest.chaos.config.ts']);
if (started.length > 0 && process.env.CDC_TEST_KEEP_STACK !== '1') await stopStack({ only: started, log });
process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(code !== 0 ? code : totals.failed > 0 ? 1 : 0);
