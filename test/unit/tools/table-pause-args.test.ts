import { describe, expect, it } from 'vitest';
import { PAUSE_USAGE, parsePauseArgs, requestTopic } from '../../../src/tools/table-pause.js';

const usageError = (fn: () => unknown, message: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a usage error');
};

describe('pause / resume arguments', () => {
  it('pause --table with a reason and who', () => {
    expect(parsePauseArgs('pause', ['--table', 'app.users', '--reason', 'migration', '--by', 'ann'])).toEqual({
      kind: 'pause',
      table: 'app.users',
      topic: null,
      reason: 'migration',
      by: 'ann',
      force: false,
    });
  });
  it('pause --topic --force, resume --table, pause --list --json', () => {
    expect(parsePauseArgs('pause', ['--topic=cdc.x.y', '--force'])).toMatchObject({ kind: 'pause', table: null, topic: 'cdc.x.y', force: true });
    expect(parsePauseArgs('resume', ['--table', 'app.users'])).toMatchObject({ kind: 'resume', table: 'app.users', topic: null });
    expect(parsePauseArgs('pause', ['--list', '--json'])).toEqual({ kind: 'list', json: true });
  });
  it('exit 2 with the usage on every mistake', () => {
    usageError(() => parsePauseArgs('pause', []), /exactly one of --table KS\.T or --topic T\n.*usage: scylla-pg-cdc pause/s);
    usageError(() => parsePauseArgs('pause', ['--table', 'a.b', '--topic', 't']), /exactly one/);
    usageError(() => parsePauseArgs('pause', ['--table', 'users']), /--table expects keyspace\.table, got "users"/);
    usageError(() => parsePauseArgs('pause', ['--table', 'a.b.c']), /keyspace\.table/);
    usageError(() => parsePauseArgs('pause', ['--table']), /argument missing|--table/);
    usageError(() => parsePauseArgs('pause', ['--tabel', 'a.b']), /Unknown option '--tabel'/);
    usageError(() => parsePauseArgs('pause', ['--list', '--table', 'a.b']), /--list takes only --json/);
    usageError(() => parsePauseArgs('pause', ['--table', 'a.b', '--json']), /--json goes with --list/);
    usageError(() => parsePauseArgs('pause', ['a.b']), /unexpected argument "a\.b"/);
    usageError(() => parsePauseArgs('resume', ['--table', 'a.b', '--force']), /Unknown option '--force'/);
    usageError(() => parsePauseArgs('resume', ['--list']), /Unknown option '--list'/);
    expect(PAUSE_USAGE).toContain('--list');
  });
  it('a table names its topic through KAFKA_TOPIC_TEMPLATE; a topic is taken as given', () => {
    expect(requestTopic({ table: 'app.users', topic: null }, 'cdc.scylla.{table}')).toBe('cdc.scylla.users');
    expect(requestTopic({ table: 'app.users', topic: null }, 'cdc.{keyspace}.{table}')).toBe('cdc.app.users');
    expect(requestTopic({ table: null, topic: 'legacy.app.users' }, 'cdc.scylla.{table}')).toBe('legacy.app.users');
  });
});
