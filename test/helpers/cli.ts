/**
 * Runs the CLI in a child process without blocking this one (a test may host a server the child
 * talks to, e.g. an in-process emulator).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function runCli(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, out, errOut) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, out, err: errOut });
      },
    );
  });
}

export interface CliChild {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  log(): string;
  exited: Promise<number | null>;
}

/** Starts a long-running command (`sink`, `source`) to be signalled by the test. */
export function spawnCli(args: string[], env: Record<string, string>): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, log: () => log, exited };
}
