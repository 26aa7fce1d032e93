/**
 * Every command parses its arguments with Node's own parser (node:util parseArgs, strict), so all
 * commands share one set of rules: `--name value` or `--name=value`, repeatable options where a
 * command says so, no unknown option. Any mistake is an Error with exitCode 2 and the command's
 * usage, which the CLI prints (src/cli/main.ts).
 */
import { parseArgs } from 'node:util';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export function usageError(message: string, usage: string): Error & { exitCode: number } {
  return Object.assign(new Error(`${message}\n${usage}`), { exitCode: 2 });
}

export class CommandArgs {
  constructor(
    readonly positionals: string[],
    private readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>,
    private readonly usage: string,
  ) {}

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  strings(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
  }

  /** A whole number of at least `min`, or `fallback` when the option is absent. */
  int(name: string, fallback: number, min = 0): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min) throw this.error(`--${name} expects a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${v}"`);
    return Number(v);
  }

  error(message: string): Error & { exitCode: number } {
    return usageError(message, this.usage);
  }
}

/** `positionals`: how many bare arguments the command takes (at least, at most). */
export function parseCommandArgs(argv: string[], options: OptionSpec, usage: string, positionals: { min: number; max: number } = { min: 0, max: 0 }): CommandArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageError((err as Error).message, usage);
  }
  const args = new CommandArgs(parsed.positionals, parsed.values, usage);
  if (parsed.positionals.length < positionals.min) throw args.error('missing argument');
  if (parsed.positionals.length > positionals.max) throw args.error(`unexpected argument "${parsed.positionals[positionals.max]}"`);
  return args;
}
