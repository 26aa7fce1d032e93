#!/usr/bin/env node
/**
 * `scylla-pg-cdc <command> [options]`. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config.
 */
import { print, printErr } from './output.js';
import { ConfigError, describeConfig } from '../config/spec.js';
import { COMMANDS, findCommand } from './commands.js';
import { VERSION } from '../version.js';

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'scylla-pg-cdc — ScyllaDB CDC → Kafka (Avro) → PostgreSQL, exactly once',
    '',
    'Usage: scylla-pg-cdc <command> [options]    (configuration comes from the environment)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Run `scylla-pg-cdc <command> --help` for its options and environment variables.',
  ].join('\n');
}

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    print(`${topHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    print(`${VERSION}\n`);
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    printErr(`unknown command "${name}"\n\n${topHelp()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const vars = await command.vars();
    print(`${command.summary}\n\nUsage: ${command.usage}\n\nEnvironment (name, default, meaning):\n${describeConfig(vars).join('\n')}\n`);
    return 0;
  }
  try {
    return await command.run({ argv: rest, env });
  } catch (err) {
    if (err instanceof ConfigError) {
      printErr(`scylla-pg-cdc ${name}: ${err.message}\n`);
      return 2;
    }
    const exitCode = (err as { exitCode?: number }).exitCode;
    // A usage mistake (exit 2) needs its message and usage, not a stack trace.
    printErr(`scylla-pg-cdc ${name}: ${exitCode === 2 ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    return typeof exitCode === 'number' ? exitCode : 1;
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
    // Everything is drained and committed by now; a client library's leftover handle (a socket in
    // TIME_WAIT, a retry timer) must not keep a stopped process alive. unref: a clean exit is not delayed.
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (err: unknown) => {
    printErr(`${String(err)}\n`);
    process.exitCode = 1;
  },
);
