import { describe, expect, it } from 'vitest';
import { loadSinkConfig, sinkVars } from '../../../src/config/sink-config.js';
import { loadSourceConfig } from '../../../src/config/source-config.js';
import { ConfigError, describeConfig } from '../../../src/config/spec.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('applies defaults from the design contract', () => {
    const cfg = loadSinkConfig({});
    expect(cfg.pgSchema).toBe('cdc_data');
    expect(cfg.sinkTopics).toBe('^cdc\\.scylla\\..+');
    expect(cfg.dlqTopic).toBe('dlq-postgres-sink');
    expect(cfg.metricsPort).toBe(9102);
    expect(cfg.sinkAutoCreate).toBe(true);
    const src = loadSourceConfig({ SCYLLA_TABLES: 'app_data.users, app_data.orders' });
    expect(src.scyllaTables).toEqual(['app_data.users', 'app_data.orders']);
    expect(src.scyllaContactPoints).toEqual([{ host: '127.0.0.1', port: 9042 }]);
    expect(src.metricsPort).toBe(9101);
    expect(src.kafkaTopicTemplate).toBe('cdc.scylla.{table}');
    expect(src.snapshotMode).toBe('initial');
  });

  it('reports every problem at once, each naming its variable', () => {
    const problems = problemsOf(() =>
      loadSourceConfig({ CDC_QUERY_WINDOW_MS: 'abc', SNAPSHOT_MODE: 'sometimes', KAFKA_TOPIC_TEMPLATE: 'cdc.x', SCYLLA_CONTACT_POINTS: 'a:99999' }),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(['SCYLLA_CONTACT_POINTS', 'SCYLLA_TABLES', 'KAFKA_TOPIC_TEMPLATE', 'CDC_QUERY_WINDOW_MS', 'SNAPSHOT_MODE']);
  });

  it('rejects out-of-range integers and bad booleans instead of coercing them', () => {
    const problems = problemsOf(() => loadSinkConfig({ SINK_BATCH_SIZE: '0', SINK_WORKERS: '2.5', SINK_AUTO_CREATE: 'maybe' }));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^SINK_BATCH_SIZE: expected an integer >= 1/);
  });

  it('reads secrets from <NAME>_FILE and never echoes them', () => {
    const files: Record<string, string> = { '/run/secrets/pg': 'postgres://u:s3cret@db:5432/w\n' };
    const cfg = loadSinkConfig({ PG_URL_FILE: '/run/secrets/pg' }, (p) => files[p] ?? '');
    expect(cfg.pgUrl).toBe('postgres://u:s3cret@db:5432/w');
    const problems = problemsOf(() => loadSinkConfig({ PG_URL: 'mysql://u:s3cret@x' }));
    expect(problems.join('\n')).not.toContain('s3cret');
    const both = problemsOf(() => loadSinkConfig({ PG_URL: 'postgres://a', PG_URL_FILE: '/x' }, () => ''));
    expect(both[0]).toMatch(/set either PG_URL or PG_URL_FILE/);
  });

  it('describes every variable for --help', () => {
    const lines = describeConfig(sinkVars);
    expect(lines).toHaveLength(Object.keys(sinkVars).length);
    expect(lines.some((l) => l.includes('SINK_BATCH_SIZE') && l.includes('5000'))).toBe(true);
  });
});
