// Brings the local stack up before any test file runs, so `npm test` works on a fresh machine.
// `stack up` is idempotent: a stack that is already running (developer's, or .ci/run's) is reused
// and left running; a stack this setup started is stopped again at teardown.
// CDC_TEST_STACK=off skips it, for running pure unit tests while iterating; CI never sets it.
import { ensureStack, stopStack, type ComponentName } from '../../scripts/stack-control.js';

// Only what this run started is stopped again: a component someone else started (a developer's
// stack, another test run) is left alone.
let startedHere: ComponentName[] = [];

export async function setup(): Promise<void> {
  if (process.env.CDC_TEST_STACK === 'off') return;
  const result = await ensureStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  startedHere = process.env.CDC_TEST_KEEP_STACK === '1' ? [] : result.started;
}

export async function teardown(): Promise<void> {
  if (startedHere.length > 0) await stopStack({ only: startedHere, log: (line) => process.stderr.write(`[stack] ${line}\n`) });
}
