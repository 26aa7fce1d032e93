import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../../src/cli/args.js';
import { parseDlqArgs } from '../../../src/tools/dlq.js';
import { parseReconcileArgs, parseStatusArgs } from '../../../src/tools/reconcile/run.js';

function refusal(fn: () => unknown): Error & { exitCode?: number } {
  try {
    fn();
  } catch (e) {
    return e as Error & { exitCode?: number };
  }
  throw new Error('accepted');
}

describe('command arguments (one parser for every command)', () => {
  const spec = { limit: { type: 'string' as const }, json: { type: 'boolean' as const }, topic: { type: 'string' as const, multiple: true } };

  it('takes --name value, --name=value and repeated options', () => {
    const a = parseCommandArgs(['list', '--limit=5', '--json', '--topic', 'a', '--topic', 'b'], spec, 'usage: x', { min: 1, max: 1 });
    expect(a.positionals).toEqual(['list']);
    expect(a.int('limit', 100)).toBe(5);
    expect(a.flag('json')).toBe(true);
    expect(a.strings('topic')).toEqual(['a', 'b']);
  });

  it.each([
    [['--colour', 'red'], "Unknown option '--colour'"],
    [['--limit'], "Option '--limit <value>' argument missing"],
    [['extra'], 'unexpected argument "extra"'],
    [['--json=yes'], "Option '--json' does not take an argument"],
  ])('%j is exit 2 with the usage (%s)', (argv, why) => {
    const err = refusal(() => parseCommandArgs(argv, spec, 'usage: x'));
    expect(err.message).toContain(why);
    expect(err.message).toContain('usage: x');
    expect(err.exitCode).toBe(2);
  });

  it('a number option must be a whole number', () => {
    const err = refusal(() => parseCommandArgs(['--limit', '-3'], spec, 'usage: x').int('limit', 1));
    expect(err.exitCode).toBe(2);
    expect(refusal(() => parseCommandArgs(['--limit', 'ten'], spec, 'usage: x').int('limit', 1)).message).toContain('--limit expects a whole number');
  });

  it('dlq: action, filters, and --to for replay only', () => {
    expect(parseDlqArgs(['replay', '--to', 't2', '--filter', 'offset>=3', '--dry-run'])).toEqual({
      action: 'replay',
      limit: 100,
      json: false,
      dryRun: true,
      to: 't2',
      filter: { topic: [], terms: [{ field: 'offset', op: '>=', value: '3' }] },
    });
    expect(refusal(() => parseDlqArgs(['list', '--to', 't2'])).message).toContain('--to applies to replay only');
    expect(refusal(() => parseDlqArgs(['show'])).exitCode).toBe(2);
    expect(refusal(() => parseDlqArgs([])).exitCode).toBe(2);
  });

  it('reconcile: tables or all, exclusive modes, positive ranges; status options', () => {
    expect(parseReconcileArgs(['--table', 'ks.a', '--table', 'ks.b', '--repair', '--ranges', '8'])).toEqual({
      tables: ['ks.a', 'ks.b'],
      all: false,
      repair: true,
      maxListed: 1000,
      ranges: 8,
    });
    expect(refusal(() => parseReconcileArgs(['--all-tables', '--dry-run', '--repair'])).message).toContain('exclude each other');
    expect(refusal(() => parseReconcileArgs(['--table', 'nodot'])).message).toContain('keyspace.table');
    expect(refusal(() => parseReconcileArgs(['--all-tables', '--ranges', '0'])).exitCode).toBe(2);
    expect(refusal(() => parseReconcileArgs([])).message).toContain('--all-tables');
    expect(parseStatusArgs(['--limit', '3', '--json'])).toEqual({ limit: 3, json: true });
  });
});
