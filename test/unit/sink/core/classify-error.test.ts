import { describe, expect, it } from 'vitest';
import { ReplicatorError } from '../../../../src/core/errors.js';
import { UNKNOWN_ATTEMPTS, batchFailureAction, classifyError } from '../../../../src/sink/core/classify-error.js';
import { RecordError } from '../../../../src/sink/core/record-error.js';

const pgErr = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const ddl = (code: string) => new ReplicatorError('CDC_SCHEMA', 'DDL failed', true, { cause: pgErr(code) });

describe('error classes', () => {
  it('transient: connection, serialization, deadlock, shutdown, resources, sockets, registry', () => {
    for (const e of [
      pgErr('08006'),
      pgErr('40001'),
      pgErr('40P01'),
      pgErr('57P01'),
      pgErr('53300'),
      pgErr('55P03'),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('x'), { code: 'ECONNRESET' }),
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' }),
      Object.assign(new Error('x'), { code: 'EPERM' }),
      new ReplicatorError('CDC_REGISTRY', 'registry answered 503', true),
    ]) {
      expect(classifyError(e)).toEqual({ kind: 'transient' });
    }
  });

  it('record: data errors, a key too large for its index, DDL the schema causes', () => {
    expect(classifyError(pgErr('22P02'))).toEqual({ kind: 'record', reason: 'type-violation' });
    expect(classifyError(pgErr('22008'))).toEqual({ kind: 'record', reason: 'type-violation' });
    expect(classifyError(pgErr('23505'))).toEqual({ kind: 'record', reason: 'constraint-violation' });
    expect(classifyError(pgErr('54000'))).toEqual({ kind: 'record', reason: 'too-large' });
    for (const code of ['42701', '22023', '54011', '42601']) expect(classifyError(ddl(code))).toEqual({ kind: 'record', reason: 'schema-rejected' });
    expect(classifyError(new RecordError('wrong-target', 'x'))).toEqual({ kind: 'record', reason: 'wrong-target' });
  });

  it('the same SQLSTATE outside DDL is not blamed on the schema', () => {
    expect(classifyError(pgErr('42701'))).toEqual({ kind: 'unknown', code: '42701' });
    expect(classifyError(pgErr('42703'))).toEqual({ kind: 'unknown', code: '42703' });
  });

  it('fatal: credentials, privileges, database; the message names the setting', () => {
    for (const code of ['28P01', '28000', '42501', '3D000']) {
      const c = classifyError(pgErr(code));
      expect(c.kind === 'fatal' && [c.setting, c.message]).toEqual(['PG_URL', expect.stringContaining(`SQLSTATE ${code}): check PG_URL`)]);
    }
    expect(classifyError(ddl('42501')).kind).toBe('fatal');
    // Configuration met while writing (SINK_EXCLUDE_COLUMNS naming a key column): exit 2, not retried.
    const conf = classifyError(new ReplicatorError('CDC_CONFIG', 'SINK_EXCLUDE_COLUMNS: ks.t.id names a key column', false));
    expect(conf).toEqual({ kind: 'fatal', setting: 'SINK_EXCLUDE_COLUMNS', message: 'SINK_EXCLUDE_COLUMNS: ks.t.id names a key column' });
    expect(batchFailureAction(conf, 0)).toBe('fatal');
  });

  it('no error is retried without bound, except an outage', () => {
    expect(batchFailureAction({ kind: 'transient' }, 1000)).toBe('retry');
    expect(batchFailureAction({ kind: 'unknown', code: '42703' }, 0)).toBe('retry');
    expect(batchFailureAction({ kind: 'unknown', code: '42703' }, UNKNOWN_ATTEMPTS - 1)).toBe('dead-letter');
    expect(batchFailureAction({ kind: 'record', reason: 'too-large' }, 0)).toBe('dead-letter');
    expect(batchFailureAction({ kind: 'fatal', setting: 'PG_URL', message: '' }, 0)).toBe('fatal');
  });
});
