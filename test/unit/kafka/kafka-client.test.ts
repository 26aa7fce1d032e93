import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../../src/clients/kafka.js';

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const base = { kafkaBrokers: ['127.0.0.1:1'], kafkaClientId: 'unit' };

describe('createKafka', () => {
  it('warns once per logger when SASL runs without TLS', async () => {
    const { log, lines } = capture();
    createKafka({ ...base, kafkaSsl: false, kafkaSaslMechanism: 'plain', kafkaSaslUsername: 'u', kafkaSaslPassword: 'p' }, log);
    createKafka({ ...base, kafkaSsl: false, kafkaSaslMechanism: 'plain', kafkaSaslUsername: 'u', kafkaSaslPassword: 'p' }, log, '-again');
    await new Promise((r) => setImmediate(r));
    const warnings = lines.filter((l) => l.level === 40 && /KAFKA_SASL_MECHANISM without KAFKA_SSL/.test(l.msg));
    expect(warnings).toHaveLength(1);
  });

  it('does not warn with TLS on, or without SASL', async () => {
    const { log, lines } = capture();
    createKafka({ ...base, kafkaSsl: true, kafkaSaslMechanism: 'scram-sha-256', kafkaSaslUsername: 'u', kafkaSaslPassword: 'p' }, log);
    createKafka({ ...base, kafkaSsl: false }, log);
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });
});
