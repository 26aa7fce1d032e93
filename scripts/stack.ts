/**
 * `npm run stack:up | stack:down | stack:status [-- kafka registry ...]`: the local stack without Docker.
 * Exit codes: 0 ok, 1 a component failed to start or stop (the message says which and why).
 */
import { ALL_COMPONENTS, ensureStack, stackStatus, stopStack, StackError, type ComponentName } from './stack-control.js';

async function main(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  const only = rest.filter((r): r is ComponentName => (ALL_COMPONENTS as string[]).includes(r));
  const unknown = rest.filter((r) => !(ALL_COMPONENTS as string[]).includes(r));
  if (unknown.length > 0 || !['up', 'down', 'status'].includes(action ?? '')) {
    process.stderr.write(`usage: stack.ts up|down|status [${ALL_COMPONENTS.join('|')} ...]\n`);
    return 2;
  }
  const opts = { ...(only.length ? { only } : {}), log: (l: string) => process.stdout.write(`${l}\n`) };
  try {
    if (action === 'up') {
      const { started } = await ensureStack(opts);
      process.stdout.write(started.length ? `started: ${started.join(', ')}\n` : 'stack already up\n');
    } else if (action === 'down') {
      await stopStack(opts);
    } else {
      const rows = await stackStatus();
      for (const r of rows) process.stdout.write(`${r.name.padEnd(9)} ${r.up ? 'up  ' : 'down'} ${r.endpoint}${r.pid ? ` (pid ${r.pid})` : ''}\n`);
      return rows.every((r) => r.up) ? 0 : 1;
    }
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof StackError ? err.message : (err as Error).stack}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
