/**
 * Kafka's own Java tools, from the broker's jars (tools/kafka, Maven Central), for tests that must
 * not trust kafkajs alone: a read_committed reader built on kafka-clients' KafkaConsumer
 * (test/helpers/java/CommittedRecords.java) and kafka.tools.DumpLogSegments, which shows the
 * batches with their producer id / epoch and the transaction markers (COMMIT / ABORT) of a
 * partition's log. kafkajs's read_committed filter was wrong twice (patches/kafkajs+2.2.4.patch):
 * a count made with it cannot prove exactly once.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { kafkaClasspath } from '../../scripts/stack-control.js';

const run = promisify(execFile);
const READER = join(dirname(fileURLToPath(import.meta.url)), 'java', 'CommittedRecords.java');
const classpath = () => kafkaClasspath((line) => process.stderr.write(`[java-kafka] ${line}\n`));

export interface JavaRecord {
  topic: string;
  partition: number;
  offset: bigint;
  value: Buffer | null;
}

/** Every record of `topics` a Java read_committed consumer returns, from the beginning to the last stable offset. */
export async function javaReadCommitted(brokers: string[], topics: string[], timeoutMs = 120_000): Promise<JavaRecord[]> {
  const { stdout } = await run('java', ['-cp', classpath(), '-Dlog4j.configuration=file:/dev/null', READER, brokers.join(','), ...topics], {
    maxBuffer: 512 * 1024 * 1024,
    timeout: timeoutMs,
  });
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [topic, partition, offset, value] = l.split('\t') as [string, string, string, string];
      return { topic, partition: Number(partition), offset: BigInt(offset), value: value === '' ? null : Buffer.from(value, 'base64') };
    });
}

/**
 * What DumpLogSegments prints for one partition of a broker's log directory: batch headers
 * (offsets, producerId, producerEpoch, isTransactional, isControl), records (`--print-data-log`,
 * with `endTxnMarker: COMMIT|ABORT`), and the aborted-transaction index.
 */
export async function dumpLogSegments(logDir: string, topic: string, partition: number): Promise<string> {
  const dir = join(logDir, `${topic}-${partition}`);
  if (!existsSync(dir)) return `(no directory ${dir})`;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.log') || f.endsWith('.txnindex'))
    .sort()
    .map((f) => join(dir, f));
  const { stdout } = await run(
    'java',
    ['-cp', classpath(), '-Dlog4j.configuration=file:/dev/null', 'kafka.tools.DumpLogSegments', '--files', files.join(','), '--print-data-log'],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  return stdout;
}

/**
 * From a DumpLogSegments output: the batch holding `offset`, the marker that ended its transaction
 * (the producer's next control batch) and the producer's entries in the aborted-transaction index.
 * Says whether a record a reader returned was committed or aborted, and by which producer epoch.
 */
export function transactionOf(dump: string, offset: bigint): string {
  const lines = dump.split('\n');
  const header = /^baseOffset: (\d+) lastOffset: (\d+) .*producerId: (-?\d+) producerEpoch: (-?\d+) .*isTransactional: (\w+) isControl: (\w+)/;
  let found: { i: number; producerId: string } | undefined;
  for (let i = 0; i < lines.length && !found; i++) {
    const m = header.exec(lines[i]!);
    if (m && BigInt(m[1]!) <= offset && offset <= BigInt(m[2]!)) found = { i, producerId: m[3]! };
  }
  if (!found) return `offset ${offset}: no batch in the dump`;
  const out = [`offset ${offset} in: ${lines[found.i]!.replace(/ (position|CreateTime|size|magic|compresscodec|crc|isvalid|deleteHorizonMs|partitionLeaderEpoch): \S+/g, '')}`];
  for (let i = found.i + 1; i < lines.length; i++) {
    const m = header.exec(lines[i]!);
    if (m && m[3] === found.producerId && m[6] === 'true') {
      out.push(
        `ended by: ${lines[i]!.replace(/ (position|size|magic|compresscodec|crc|isvalid|deleteHorizonMs|partitionLeaderEpoch): \S+/g, '')} ${/endTxnMarker: \w+/.exec(lines[i + 1] ?? '')?.[0] ?? '?'}`,
      );
      break;
    }
  }
  if (out.length === 1) out.push('ended by: no marker of this producer after it (transaction still open)');
  const index = lines.filter((l) => l.startsWith('version:') && l.includes(`producerId: ${found.producerId} `));
  out.push(...index.map((l) => `aborted-transaction index: ${l}`));
  return out.join('\n');
}
