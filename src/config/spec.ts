/**
 * A tiny typed env-config framework: every variable is declared once with its parser, default and
 * one-line description, so `--help`, the README table and validation all come from one place.
 *
 * Why not parse ad hoc: pg's `parseInt` turning bad input into a silent NaN is exactly the failure
 * mode we refuse. Every problem is collected and reported at once, each naming its
 * variable; the CLI turns a ConfigError into exit code 2.
 */
import { z } from 'zod';
import { urlSecrets } from '../core/redact.js';
import { rememberSecret } from '../log/secrets.js';

type Schema = z.ZodType<unknown, z.ZodTypeDef, string>;

export interface VarSpec<S extends Schema = Schema> {
  /** Environment variable name, SCREAMING_SNAKE. */
  readonly env: string;
  readonly schema: S;
  /** Raw string default (as a user would write it); absent = required or optional-without-default. */
  readonly default?: string;
  readonly required?: boolean;
  readonly description: string;
  /** Secrets may come from `<NAME>_FILE` and are never printed. */
  readonly secret?: boolean;
}

export type SpecTable = Record<string, VarSpec>;
/** A variable's type: the schema's output, plus undefined when it is neither required nor defaulted. */
type ValueOf<V extends VarSpec> = z.output<V['schema']> | (V extends { required: true } ? never : V extends { default: string } ? never : undefined);
export type ConfigOf<S extends SpecTable> = { [K in keyof S]: ValueOf<S[K]> };

export class ConfigError extends Error {
  readonly code = 'CDC_CONFIG' as const;
  /** Bad configuration exits 2 wherever it is found (at load, or when a client reads its files). */
  readonly exitCode = 2;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads a file named by `<NAME>_FILE`; injected so the loader itself stays free of fs. */
export type FileReader = (path: string) => string;

/** Keeps the literal shape (required/default present) so ConfigOf knows what may be undefined. */
export function defineVar<const V extends VarSpec>(spec: V): V {
  return spec;
}

/**
 * `check` sees the parsed values and returns problems that involve several variables (settings
 * that contradict each other), each naming the variables; they are reported with the others.
 */
export function loadConfig<S extends SpecTable>(table: S, env: Record<string, string | undefined>, readFile?: FileReader, check?: (cfg: ConfigOf<S>) => string[]): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    let raw = env[spec.env];
    const fileVar = `${spec.env}_FILE`;
    if (spec.secret && env[fileVar] !== undefined && env[fileVar] !== '') {
      if (raw !== undefined && raw !== '') {
        problems.push(`${spec.env}: set either ${spec.env} or ${fileVar}, not both`);
        continue;
      }
      if (!readFile) {
        problems.push(`${fileVar}: secret files are not supported in this context`);
        continue;
      }
      try {
        raw = readFile(env[fileVar] as string).replace(/\r?\n$/, '');
      } catch (err) {
        problems.push(`${fileVar}: cannot read ${env[fileVar]}: ${(err as Error).message}`);
        continue;
      }
    }
    if (raw === undefined || raw === '') raw = spec.default;
    // Remembered before validation: an invalid secret must stay hidden in the messages it causes.
    if (spec.secret) rememberSecret(raw);
    for (const part of raw === undefined ? [] : urlSecrets(raw)) rememberSecret(part);
    if (raw === undefined) {
      if (spec.required) problems.push(`${spec.env}: required (${spec.description})`);
      else out[key] = undefined;
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      const shown = spec.secret ? '<redacted>' : JSON.stringify(raw);
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      problems.push(`${spec.env}: ${why}, got ${shown}`);
    }
  }
  if (problems.length === 0 && check) problems.push(...check(out as ConfigOf<S>));
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Lines for `--help`: name, default, description (secrets show their _FILE form). */
export function describeConfig(table: SpecTable): string[] {
  const rows = Object.values(table).map((s) => [
    s.env + (s.secret ? ` (or ${s.env}_FILE)` : ''),
    s.required ? '(required)' : s.default === undefined ? '(unset)' : s.default,
    s.description,
  ]);
  const w0 = Math.min(34, Math.max(...rows.map((r) => r[0]!.length)));
  const w1 = Math.min(28, Math.max(...rows.map((r) => r[1]!.length)));
  return rows.map(([a, b, c]) => `  ${a!.padEnd(w0)}  ${b!.padEnd(w1)}  ${c}`);
}

// ---- parsers shared by the tables ----

export const intIn = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message: 'expected an integer' })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `expected an integer >= ${min}` })
        .max(max, { message: `expected an integer <= ${max}` }),
    );

export const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const oneOf = <const T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .trim()
    .refine((v): v is T => (values as readonly string[]).includes(v), { message: `expected one of ${values.join(', ')}` })
    .transform((v) => v as T);

/** As oneOf, for names users write in any case (SASL mechanisms: `PLAIN`, `SCRAM-SHA-256`). */
export const oneOfIgnoreCase = <const T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v): v is T => (values as readonly string[]).includes(v), { message: `expected one of ${values.join(', ')} (any case)` })
    .transform((v) => v as T);

export const str = z.string();

export const commaList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(z.array(z.string()).min(1, { message: 'expected a non-empty comma-separated list' }));

export const hostPortList = (defaultPort: number) =>
  commaList.transform((items, ctx) =>
    items.map((item) => {
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item);
      const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort;
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not host[:port]` });
        return { host: item, port: defaultPort };
      }
      return { host: m[1]!, port };
    }),
  );

export const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false; // new URL throws on malformed input; that is the validation result
        }
      },
      { message: `expected a URL (${protocols.join(', ')})` },
    );
