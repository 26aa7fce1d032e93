/**
 * npm run bench -- --scenario ceiling|copy-limit|sink|source|produce-limit|e2e|connect-sink[,…] [--rows N] [--workers N]
 *                  [--workload users|orders|mix|wide|collections] [--json FILE] [--partitions N]
 *                  [--batch N] [--rate N] [--seed N] [--stall-s N] [--keep] [--write-first]
 * npm run bench -- --scenario topology --streams 16|20000|200000 [--processes N] [--idle-s N] [--load-s N] [--load-rate N]
 *                  [--backlog N] [--backlog-partitions N]
 * npm run bench -- --scenario sink-scale [--rows N] [--partitions 24] [--processes 1,2,3] [--rate 2000] [--event-gap-s 15]
 * npm run bench -- --scenario recovery [--rate 2000] [--rows N] [--kill sink,source] [--kill-at-s 20] [--settle-s 10]
 *                  [--session-timeout-ms 10000] [--confidence-window-ms 5000]
 *
 * See bench/README.md. Every run creates its own bench_<id> PG schemas, topics, groups and subjects
 * and removes them at the end (--keep leaves them for inspection); every child process it starts runs
 * in its own process group and is stopped on exit, failure or Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { workloadByName, WORKLOADS } from './workloads/index.js';
import { expectedState, keyString, type Change, type Workload } from './workloads/types.js';
import { runCeiling, type CeilingResult } from './lib/ceiling.js';
import { runCopyLimit } from './lib/copy-limit.js';
import { createSchema, differingRows, dropSchemas, loadExpectedState, PG_URL } from './lib/pg.js';
import { cleanupKafka, createTopic, KAFKA_BROKERS, produceWorkload, REGISTRY_URL, type ProduceResult } from './lib/kafka.js';
import { machineInfo, type MachineInfo } from './lib/machine.js';
import { BenchChild, installCleanupHandlers, selfMemory, stopAll } from './lib/procs.js';
import { resolveConnect, startConnect, type ArtifactStatus } from './lib/connect.js';
import { startEmulatorWriter, type EmulatorWriter } from './lib/emulator.js';
import { waitForTarget, waitUntilReady, type WaitResult } from './scenarios/common.js';
import { freePort } from '../test/helpers/free-port.js';
import { runTopology, TOPOLOGIES } from './scenarios/topology.js';
import { runSinkScale, type SinkScaleOutcome } from './scenarios/sink-scale.js';
import { runRecovery, type Victim } from './scenarios/recovery.js';
import { e2eStages, latencyAfterFirstSecond, latencyBySecond } from './lib/e2e-stages.js';
import { histogramMeans, metricSum } from './lib/metrics-scrape.js';
import { log, newRunId, percentiles, round, sleep, type Percentiles } from './lib/util.js';
import { cpuMeter, cpuSummary, type CpuReport } from './lib/cpu-meter.js';
import { sinkPhases } from './lib/sink-phases.js';
import { nodeFlagsFor } from '../src/cli/node-flags.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS = ['ceiling', 'copy-limit', 'sink', 'source', 'produce-limit', 'e2e', 'connect-sink', 'topology', 'sink-scale', 'recovery'] as const;
/** Scenarios that run alone, each with its own flow and no ceiling. */
const ALONE: readonly string[] = ['topology', 'sink-scale', 'recovery'];
type Scenario = (typeof SCENARIOS)[number];

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'ceiling' },
    rows: { type: 'string', default: '200000' },
    workers: { type: 'string', default: '2' },
    workload: { type: 'string', default: 'users' },
    json: { type: 'string' },
    partitions: { type: 'string' },
    batch: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '0' },
    seed: { type: 'string' },
    'stall-s': { type: 'string', default: '120' },
    'connect-heap': { type: 'string', default: '2g' },
    keep: { type: 'boolean', default: false },
    runtime: { type: 'string', default: 'dist' },
    'node-options': { type: 'string' },
    'node-args': { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'write-first': { type: 'boolean', default: false },
    streams: { type: 'string', default: '16' },
    // topology: one count (default 1); sink-scale: a comma list (default 1,2,3)
    processes: { type: 'string' },
    'idle-s': { type: 'string', default: '30' },
    'load-s': { type: 'string', default: '30' },
    'load-rate': { type: 'string', default: '200' },
    backlog: { type: 'string', default: '20000' },
    'backlog-partitions': { type: 'string', default: '2000' },
    'event-gap-s': { type: 'string', default: '15' },
    kill: { type: 'string', default: 'sink,source' },
    'kill-at-s': { type: 'string', default: '20' },
    'settle-s': { type: 'string', default: '10' },
    'session-timeout-ms': { type: 'string', default: '10000' },
    'confidence-window-ms': { type: 'string', default: '5000' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(`usage: npm run bench -- --scenario ${SCENARIOS.join('|')}[,...] [--rows N] [--workers N]
       [--workload ${Object.keys(WORKLOADS).join('|')}] [--json FILE] [--partitions N] [--batch N]
       [--rate N (source/e2e writes per second, 0 = as fast as possible)] [--seed N] [--stall-s N] [--keep]
       [--runtime dist|tsx (dist: compiled first, run as the Docker image does; tsx: from the sources)]
       [--node-options "..." (NODE_OPTIONS for our sink/source processes only, e.g. heap limits)]
       [--node-args "..." (flags on the node command line of our processes, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof)]
       [--skip-build (dist/ is already compiled from this tree: runs one after the other)]
       [--write-first (source: every change written, and past the confidence window, before the source starts: its drain rate)]
       --scenario topology --streams ${Object.keys(TOPOLOGIES).join('|')} [--processes 1] [--idle-s 30] [--load-s 30] [--load-rate 200]
       [--backlog 20000] [--backlog-partitions 2000]
       (alone: its own emulator process with that many CDC streams, N source processes of one deployment; see bench/README.md)
       --scenario sink-scale [--rows N] [--partitions 24] [--processes 1,2,3] [--rate 2000] [--event-gap-s 15]
       (alone: backlog drained by 1, 2, 3 sink processes; joins and leaves under --rate changes/s; see bench/README.md)
       --scenario recovery [--rate 2000] [--kill sink,source] [--kill-at-s 20] [--settle-s 10]
       [--session-timeout-ms 10000] [--confidence-window-ms 5000]
       (alone: emulator + source + sink under steady writes; kill -9 of each victim in turn, catch-up time)
`);
  process.exit(0);
}

const scenarios = args.scenario!.split(',').map((s) => s.trim()) as Scenario[];
for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);
for (const s of ALONE) if (scenarios.includes(s as Scenario) && scenarios.length > 1) throw new Error(`--scenario ${s} runs alone`);
if (!['dist', 'tsx'].includes(args.runtime!)) throw new Error(`--runtime must be dist or tsx, got ${args.runtime}`);
const rows = Number(args.rows);
const workers = Number(args.workers);
// sink-scale is about many partitions per topic: 24 unless told.
const partitions = Number(args.partitions ?? (scenarios[0] === 'sink-scale' ? 24 : 6));
const batchSize = Number(args.batch);
const rate = Number(args.rate);
const stallMs = Number(args['stall-s']) * 1000;
const workload: Workload = workloadByName(args.workload!);

export interface BenchResult {
  scenario: Scenario;
  workload: string;
  workloadDescription: string;
  rows: number;
  completed: boolean;
  reason: string;
  rowsPerSec: number | null;
  ceilingRowsPerSec: number;
  ratioToCeiling: number | null;
  /** When the run includes copy-limit: this scenario's rate over it (sink, connect-sink, ceiling, e2e). */
  ratioToCopyLimit?: number | null;
  /** When the run includes produce-limit: the source's rate over it. */
  ratioToProduceLimit?: number | null;
  latencyMs: Percentiles | null;
  latencyBasis: string;
  peakRssMb: Record<string, number>;
  seconds: Record<string, number | null>;
  machine: MachineInfo;
  date: string;
  command: string;
  settings: Record<string, unknown>;
  details: Record<string, unknown>;
  /** sink / connect-sink: the target equals the expected final state column by column. */
  contentsMatch?: boolean;
}

const runId = newRunId();
const topic = `${runId}.${workload.table}`;
const tmp = join('/tmp', runId);
mkdirSync(tmp, { recursive: true });

async function cleanup(): Promise<void> {
  await stopAll();
  if (args.keep) {
    log(`--keep: leaving schemas/topics ${runId}* in place`);
    return;
  }
  await dropSchemas(runId).catch((e: Error) => log(`drop schemas: ${e.message}`));
  await cleanupKafka(runId).catch((e: Error) => log(`kafka cleanup: ${e.message}`));
}
installCleanupHandlers(cleanup);

/**
 * Our processes run as the installed command and the Docker image run them (bin/scylla-pg-cdc: `node
 * <its flags> dist/src/cli/main.js`) unless `--runtime tsx`:
 * under tsx the main thread and every decode worker also load the TypeScript loader, which costs
 * memory and start-up time no user pays, and would be charged to our peak RSS.
 */
function ourChild(name: string, cmd: 'sink' | 'source', env: Record<string, string>): BenchChild {
  const e = ourEnv(env);
  return new BenchChild(name, process.execPath, [...ourEntry(nodeFlagsFor(cmd, e.NODE_OPTIONS)), cmd], { cwd: REPO, env: e, logFile: join(tmp, `${name}.log`) });
}

/**
 * The node arguments that run our CLI. `launch`: the flags bin/scylla-pg-cdc gives the command
 * (src/cli/node-flags.ts), so a process runs as installed. --node-args: flags Node refuses in
 * NODE_OPTIONS (e.g. --cpu-prof), given on its command line.
 */
function ourEntry(launch: string[] = []): string[] {
  const nodeArgs = args['node-args'] ? args['node-args'].split(/\s+/).filter((a) => a !== '') : [];
  return [...launch, ...nodeArgs, ...(args.runtime === 'tsx' ? ['--import', 'tsx', 'src/cli/main.ts'] : ['dist/src/cli/main.js'])];
}

function ourEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(args['node-options'] ? { NODE_OPTIONS: args['node-options'] } : {}),
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    SCHEMA_REGISTRY_URL: REGISTRY_URL,
    PG_URL,
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/** One operator command of ours (e.g. `pause --topic T`), run to its end; a non-zero exit throws. */
function ourCli(cliArgs: string[], env: Record<string, string>): void {
  execFileSync(process.execPath, [...ourEntry(), ...cliArgs], { cwd: REPO, env: ourEnv(env), stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The source on the bench's emulator: one table, topics `<runId>.<scenario>.<table>`, its own SOURCE_NAME. */
function sourceEnv(contactPoint: string, keyspace: string, scenario: string): Record<string, string> {
  return {
    SCYLLA_CONTACT_POINTS: contactPoint,
    SCYLLA_LOCAL_DC: 'datacenter1',
    SCYLLA_TABLES: `${keyspace}.${workload.table}`,
    KAFKA_TOPIC_TEMPLATE: `${runId}.${scenario}.{table}`,
    KAFKA_TOPIC_PARTITIONS: String(partitions),
    SOURCE_NAME: `${runId}_${scenario}`,
    SNAPSHOT_MODE: 'never',
    CDC_START: 'earliest',
  };
}

function sinkEnv(schema: string, sinkTopic: string, group = `${runId}-sink-${sinkTopic}`): Record<string, string> {
  return {
    PG_SCHEMA: schema,
    SINK_TOPICS: sinkTopic,
    SINK_GROUP_ID: group,
    SINK_WORKERS: String(workers),
    SINK_BATCH_SIZE: String(batchSize),
    DLQ_TOPIC: `${runId}.dlq-sink`,
  };
}

/**
 * Steady apply rate: changes applied after the first observation / time since it. The first batch
 * (committed before anything was visible) is left out instead of being credited to zero time; when
 * everything landed within one poll, the rate falls back to the wall time including start-up.
 */
function applyRate(changes: number, expectedRows: number, w: WaitResult, t0: number): { rowsPerSec: number | null; applySeconds: number | null } {
  if (!w.completed || w.firstAt === null || w.doneAt === null) return { rowsPerSec: null, applySeconds: null };
  const s = (w.doneAt - w.firstAt) / 1000;
  const share = 1 - w.firstRows / Math.max(1, expectedRows);
  if (s < 0.5 || share <= 0) return { rowsPerSec: changes / ((w.doneAt - t0) / 1000), applySeconds: (w.doneAt - t0) / 1000 };
  return { rowsPerSec: (changes * share) / s, applySeconds: s };
}

async function consumeSourceTopic(
  topic: string,
  expected: number,
  writeTimeMs: Float64Array,
  child: BenchChild,
  /** after the first batch read: the count so far (the CPU meter's steady interval starts there) */
  onFirst: (count: number) => void,
): Promise<{ count: number; firstAppend: number; lastAppend: number; latencies: number[]; reason: string }> {
  const registry = new SchemaRegistry({ host: REGISTRY_URL });
  const consumer = new Kafka({ clientId: `${runId}-reader`, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).consumer({
    groupId: `${runId}-reader-${topic}`,
    readUncommitted: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let firstAppend = Infinity;
  let lastAppend = 0;
  let firstCount = 0;
  const latencies: number[] = [];
  let lastProgress = Date.now();
  let done!: (r: string) => void;
  const finished = new Promise<string>((r) => (done = r));
  await consumer.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (!m.value) continue;
        count++;
        const appended = Number(m.timestamp);
        firstAppend = Math.min(firstAppend, appended);
        lastAppend = Math.max(lastAppend, appended);
        if (count % 10 === 0) {
          const v = (await registry.decode(m.value)) as { source: { ts_us: number | null } };
          if (v.source.ts_us) latencies.push(appended - v.source.ts_us / 1000);
        }
      }
      lastProgress = Date.now();
      if (count > 0 && firstCount === 0) onFirst((firstCount = count));
      if (count >= expected) done('all records appended');
    },
  });
  const timer = setInterval(() => {
    if (!child.running) done(`source exited with code ${child.exitCode}`);
    else if (Date.now() - lastProgress > stallMs) done(`no progress for ${stallMs / 1000}s`);
  }, 1000);
  const reason = await finished;
  clearInterval(timer);
  await consumer.disconnect();
  void writeTimeMs;
  return { count, firstAppend, lastAppend, latencies, reason };
}

async function main(): Promise<void> {
  const machine = await machineInfo(REPO);
  if (args.runtime !== 'tsx' && !args['skip-build']) {
    log('build: tsc (the bench runs dist/, as the Docker image does)');
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.json')], { cwd: REPO, stdio: 'inherit' });
  }
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  if (scenarios[0] === 'topology') {
    await topology(machine, command);
    return;
  }
  if (scenarios[0] === 'sink-scale') {
    await sinkScale(machine, command);
    return;
  }
  if (scenarios[0] === 'recovery') {
    await recovery(machine, command);
    return;
  }
  log(`run ${runId}: ${scenarios.join(',')} / ${workload.name} / ${rows} rows / ${workers} workers`);
  const changes: Change[] = workload.generate(rows, args.seed ? Number(args.seed) : undefined);
  const expected = expectedState(workload, changes);

  log('ceiling: COPY + upsert of the same rows, no Kafka');
  const ceilingMeter = cpuMeter({}, 'the ceiling run (its COPY + upsert clients are the harness)');
  const ceiling: CeilingResult = await runCeiling(workload, changes, `${runId}_ceiling`, { workers, batchSize });
  const ceilingCpu: CpuReport = ceilingMeter.done(rows);
  log(`ceiling: ${Math.round(ceiling.rowsPerSec)} rows/s (verified=${ceiling.verified})`);
  await dropSchemas(`${runId}_ceiling`);
  // The expected final state, for the column-by-column check of every consumer's target.
  await loadExpectedState(workload, changes, `${runId}_expected`, (key) => keyString(workload, key));

  const base = (scenario: Scenario): BenchResult => ({
    scenario,
    workload: workload.name,
    workloadDescription: workload.description,
    rows,
    completed: false,
    reason: '',
    rowsPerSec: null,
    ceilingRowsPerSec: round(ceiling.rowsPerSec),
    ratioToCeiling: null,
    latencyMs: null,
    latencyBasis: 'n/a',
    peakRssMb: { 'bench-harness': selfMemory().peakRssMb },
    seconds: { ceiling: round(ceiling.seconds, 2) },
    machine,
    date: new Date().toISOString(),
    command,
    settings: { workers, partitions, batchSize, rate, expectedRows: expected.rows, runId },
    details: { ceiling },
  });
  const results: BenchResult[] = [];

  let produced: ProduceResult | null = null;
  const needTopic = scenarios.some((s) => s === 'sink' || s === 'connect-sink');
  if (needTopic) {
    await createTopic(topic, partitions);
    log(`producing ${rows} envelope records to ${topic} (${partitions} partitions)`);
    produced = await produceWorkload(workload, changes, topic, partitions, Date.now() * 1000);
    log(`produced at ${Math.round(produced.recordsPerSec)} records/s`);
  }

  for (const scenario of scenarios) {
    const r = base(scenario);
    results.push(r);
    try {
      if (scenario === 'ceiling') {
        r.completed = ceiling.verified;
        r.reason = ceiling.verified ? 'verified' : 'target did not match the expected rows';
        r.rowsPerSec = round(ceiling.rowsPerSec);
        r.ratioToCeiling = 1;
        r.details.cpu = ceilingCpu;
      } else if (scenario === 'copy-limit') {
        log("copy-limit: the final rows COPY'd straight into the indexed target, no upsert");
        const meter = cpuMeter({}, 'the copy-limit run (its COPY clients are the harness)');
        const cl = await runCopyLimit(workload, changes, `${runId}_copylimit`, { workers, batchSize });
        r.details.cpu = meter.done(rows);
        await dropSchemas(`${runId}_copylimit`);
        r.completed = cl.verified;
        r.reason = cl.verified ? 'verified' : 'target did not match the expected rows';
        r.rowsPerSec = round(cl.rowsPerSec);
        r.ratioToCeiling = round(cl.rowsPerSec / ceiling.rowsPerSec, 3);
        r.seconds.copy = round(cl.seconds, 2);
        r.details.copyLimit = cl;
      } else if (scenario === 'produce-limit') {
        // The source's records (same Avro mapping, same key partitioning) produced from Node by as
        // many transactional producers as the source has slots (16 by default), in transactions of
        // 5,000, without reading ScyllaDB: what the source's Kafka side can reach.
        const plTopic = `${runId}.produce-limit.${workload.table}`;
        await createTopic(plTopic, partitions);
        const meter = cpuMeter({}, 'the produce-limit run (its producers are the harness)');
        const pl = await produceWorkload(workload, changes, plTopic, partitions, Date.now() * 1000, { transactional: { idPrefix: `${runId}-produce-limit`, lanes: 16 } });
        r.details.cpu = meter.done(rows);
        r.completed = true;
        r.reason = 'produced';
        r.rowsPerSec = round(pl.recordsPerSec);
        r.seconds.produce = round(pl.seconds, 2);
        r.details.produce = pl;
      } else if (scenario === 'sink' || scenario === 'connect-sink') {
        const schema = `${runId}_${scenario === 'sink' ? 'sink' : 'connect'}`;
        await createSchema(schema);
        r.details.produce = produced;
        const t0 = performance.now();
        let child: BenchChild;
        const sinkPort = await freePort();
        if (scenario === 'sink') {
          child = ourChild('sink', 'sink', { ...sinkEnv(schema, topic), METRICS_PORT: String(sinkPort) });
        } else {
          const status: ArtifactStatus[] = resolveConnect(REPO);
          r.details.artifacts = status;
          const missing = status.filter((s) => !s.resolved && ['runtime', 'debezium-jdbc', 'apicurio-converter'].includes(s.name));
          if (missing.length) throw new Error(`unresolvable: ${missing.map((m) => `${m.artifact}: ${m.error}`).join('; ')}`);
          const c = startConnect({
            repo: REPO,
            workDir: join(tmp, 'connect'),
            runId,
            topic,
            workload,
            pgSchema: schema,
            tasks: workers,
            batchSize,
            restPort: 18083,
            status,
            heap: args['connect-heap']!,
          });
          child = c.child;
          r.details.transform = c.transform;
          r.details.connectorConfig = c.connectorConfig;
        }
        const memName = scenario === 'sink' ? 'sink' : 'connect-jvm';
        const meter = cpuMeter({ [memName]: child.pid }, 'spawn → every change applied (start-up included)');
        const w = await waitForTarget({ schema, table: workload.table, expected, children: [child], stallMs, pollMs: 200, label: scenario, onFirst: meter.first });
        if (w.completed) r.details.cpu = meter.done(rows, rows * (1 - w.firstRows / Math.max(1, expected.rows)));
        if (w.completed && scenario === 'sink') r.details.phases = await sinkPhases(sinkPort, rows);
        await child.stop();
        r.peakRssMb[memName] = child.memory().peakRssMb;
        r.peakRssMb[`${memName}-hwm`] = child.memory().peakHwmMb;
        const { rowsPerSec, applySeconds } = applyRate(rows, expected.rows, w, t0);
        r.completed = w.completed;
        r.reason = w.reason;
        r.rowsPerSec = rowsPerSec === null ? null : round(rowsPerSec);
        r.ratioToCeiling = rowsPerSec === null ? null : round(rowsPerSec / ceiling.rowsPerSec, 3);
        r.seconds.startup = w.firstAt === null ? null : round((w.firstAt - t0) / 1000, 2);
        r.seconds.apply = applySeconds === null ? null : round(applySeconds, 2);
        r.seconds.wall = w.doneAt === null ? null : round((w.doneAt - t0) / 1000, 2);
        r.latencyBasis = 'not measured: the topic is filled before the consumer starts (backlog drain); see e2e';
        r.details.final = { rows: w.last.rows, seqSum: w.last.seqSum.toString(), expectedRows: expected.rows, expectedSeqSum: expected.seqSum.toString() };
        if (w.completed) await checkContents(r, schema);
        r.details.log = join(tmp, scenario === 'sink' ? 'sink.log' : 'connect/connect.log');
      } else if (scenario === 'source' || scenario === 'e2e') {
        const keyspace = runId;
        const writer: EmulatorWriter = await startEmulatorWriter(workload, keyspace);
        const children: BenchChild[] = [];
        try {
          // One topic per scenario, pre-created with LogAppendTime so record timestamps are broker append times.
          const srcTopic = `${runId}.${scenario}.${workload.table}`;
          await createTopic(srcTopic, partitions, { 'message.timestamp.type': 'LogAppendTime' });
          // --write-first: the whole backlog is in the log, and older than the confidence window,
          // before the source starts, so the rate is the source's own and not the writer's.
          const writeTimeMs = new Float64Array(rows);
          const written = scenario === 'source' && args['write-first'] ? await writer.write(changes, rate, writeTimeMs) : null;
          if (written) await sleep(5_000 + 1_000);
          const t0 = performance.now();
          const sourcePort = await freePort();
          const source = ourChild('source', 'source', { ...sourceEnv(writer.contactPoint, keyspace, scenario), METRICS_PORT: String(sourcePort) });
          children.push(source);
          let sink: BenchChild | null = null;
          const schema = `${runId}_e2e`;
          const sinkPort = await freePort();
          if (scenario === 'e2e') {
            await createSchema(schema);
            sink = ourChild('sink', 'sink', { ...sinkEnv(schema, srcTopic), METRICS_PORT: String(sinkPort) });
            children.push(sink);
            await waitUntilReady({ child: sink, port: sinkPort, kind: 'sink', partitions, timeoutMs: stallMs });
          }
          // Writing starts once the processes run: the latencies are the steady state's, not start-up's.
          await waitUntilReady({ child: source, port: sourcePort, kind: 'source', partitions, timeoutMs: stallMs });
          r.seconds.startToReady = round((performance.now() - t0) / 1000, 2);
          const meter = cpuMeter(Object.fromEntries(children.map((c) => [c.name, c.pid])), 'writes start (processes ready) → every change appended (source) / applied (e2e)');
          const writing = written ? Promise.resolve(written) : writer.write(changes, rate, writeTimeMs);
          let firstRead = 0;
          if (scenario === 'source') {
            const [wr, cr] = await Promise.all([
              writing,
              consumeSourceTopic(srcTopic, rows, writeTimeMs, source, (n) => {
                firstRead = n;
                meter.first();
              }),
            ]);
            r.completed = cr.count >= rows;
            r.reason = cr.reason;
            const span = (cr.lastAppend - cr.firstAppend) / 1000;
            r.rowsPerSec = r.completed && span > 0 ? round(rows / span) : null;
            r.latencyMs = percentiles(cr.latencies);
            r.latencyBasis = written
              ? 'not meaningful with --write-first (the backlog waited for the source to start)'
              : 'write timestamp of the change (source.ts_us = emulator write time) → Kafka LogAppendTime, every 10th record';
            r.details.writeFirst = written !== null;
            r.seconds.write = round(wr.seconds, 2);
            r.seconds.appendSpan = round(span, 2);
            r.seconds.wall = round((performance.now() - t0) / 1000, 2);
            r.details.recordsSeen = cr.count;
            if (r.completed) r.details.cpu = meter.done(rows, rows - firstRead);
          } else {
            const [wr, w] = await Promise.all([
              writing,
              waitForTarget({ schema, table: workload.table, expected, children, stallMs, pollMs: 100, trackLatency: true, label: 'e2e', onFirst: meter.first }),
            ]);
            const { rowsPerSec, applySeconds } = applyRate(rows, expected.rows, w, t0);
            if (w.completed) r.details.cpu = meter.done(rows, rows * (1 - w.firstRows / Math.max(1, expected.rows)));
            if (w.completed) r.details.phases = await sinkPhases(sinkPort, rows);
            r.completed = w.completed;
            r.reason = w.reason;
            r.rowsPerSec = rowsPerSec === null ? null : round(rowsPerSec);
            const lat: number[] = [];
            for (const [seq, at] of w.seenAtMs) lat.push(at - writeTimeMs[seq]!);
            r.latencyMs = percentiles(lat);
            r.latencyBasis = 'emulator write time of the change → first poll (every 100 ms) that sees its seq in PostgreSQL';
            r.seconds.write = round(wr.seconds, 2);
            r.seconds.apply = applySeconds === null ? null : round(applySeconds, 2);
            r.seconds.wall = w.doneAt === null ? null : round((w.doneAt - t0) / 1000, 2);
            r.details.final = { rows: w.last.rows, seqSum: w.last.seqSum.toString(), expectedRows: expected.rows, expectedSeqSum: expected.seqSum.toString() };
            if (w.completed) await checkContents(r, schema);
            r.details.processMetrics = {
              sourceQueries: await metricSum(sourcePort, 'cdc_source_queries_total').catch(() => null),
              sourceTransactions: await histogramMeans(sourcePort, 'cdc_source_transaction_seconds').catch(() => null),
            };
            r.details.latencyBySecond = latencyBySecond(writeTimeMs, w.seenAtMs);
            r.details.latencyAfterFirstSecondMs = latencyAfterFirstSecond(writeTimeMs, w.seenAtMs);
            if (w.completed) r.details.stages = await e2eStages(srcTopic, writeTimeMs, w.seenAtMs);
          }
          r.ratioToCeiling = r.rowsPerSec === null ? null : round(r.rowsPerSec / ceiling.rowsPerSec, 3);
          r.details.logs = tmp;
        } finally {
          for (const ch of children) {
            await ch.stop();
            r.peakRssMb[ch.name] = ch.memory().peakRssMb;
          }
          await writer.close();
        }
      }
    } catch (e) {
      r.completed = false;
      r.reason = `error: ${(e as Error).message}`;
      log(`${scenario} failed: ${(e as Error).stack ?? String(e)}`);
      await stopAll();
    }
    r.peakRssMb['bench-harness'] = selfMemory().peakRssMb;
  }

  const copyLimit = results.find((x) => x.scenario === 'copy-limit' && x.completed)?.rowsPerSec;
  const produceLimit = results.find((x) => x.scenario === 'produce-limit' && x.completed)?.rowsPerSec;
  for (const r of results) {
    if (copyLimit && ['ceiling', 'sink', 'connect-sink', 'e2e'].includes(r.scenario)) r.ratioToCopyLimit = r.rowsPerSec === null ? null : round(r.rowsPerSec / copyLimit, 3);
    if (produceLimit && r.scenario === 'source') r.ratioToProduceLimit = r.rowsPerSec === null ? null : round(r.rowsPerSec / produceLimit, 3);
  }
  printTable(results);
  if (args.json) {
    for (const r of results) {
      const file = results.length > 1 ? args.json.replace(/(\.json)?$/, `.${r.scenario}.json`) : args.json;
      mkdirSync(dirname(resolve(file)), { recursive: true });
      writeFileSync(file, `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
      log(`wrote ${file}`);
    }
  }
  process.exitCode = results.every((r) => r.completed) ? 0 : 1;
}

/** The `topology` scenario (bench/scenarios/topology.ts), in the result shape of the others; no ceiling. */
async function topology(machine: MachineInfo, command: string): Promise<void> {
  const backlog = Number(args.backlog);
  const processes = Number(args.processes ?? '1');
  const settings = {
    streams: Number(args.streams),
    processes,
    idleS: Number(args['idle-s']),
    loadS: Number(args['load-s']),
    loadRate: Number(args['load-rate']),
    backlog,
    backlogPartitions: Number(args['backlog-partitions']),
  };
  log(`run ${runId}: topology / ${args.streams} streams / ${processes} source processes / backlog ${backlog} changes over ${args['backlog-partitions']} partitions`);
  const o = await runTopology({
    repo: REPO,
    runId,
    tmp,
    ...settings,
    streams: args.streams!,
    stallMs,
    source: (name, env) => ourChild(name, 'source', env),
  });
  const r: BenchResult = {
    scenario: 'topology',
    workload: `topology-${args.streams}-p${processes}`,
    workloadDescription: `int key, one int column; ${args.streams} CDC streams per generation; ${processes} source process(es), one slot group`,
    rows: backlog,
    completed: o.completed,
    reason: o.reason,
    rowsPerSec: o.catchUpChangesPerSec,
    ceilingRowsPerSec: 0,
    ratioToCeiling: null,
    latencyMs: o.idleWriteLatencyMs === null ? null : { p50: o.idleWriteLatencyMs, p95: o.idleWriteLatencyMs, p99: o.idleWriteLatencyMs, max: o.idleWriteLatencyMs, samples: 1 },
    latencyBasis: 'one write while idle → Kafka LogAppendTime (rowsPerSec = backlog catch-up, source restart → last record; no ceiling: 0)',
    peakRssMb: { ...o.peakRssMb, 'bench-harness': selfMemory().peakRssMb },
    seconds: o.seconds,
    machine,
    date: new Date().toISOString(),
    command,
    settings: { ...settings, runId },
    details: o.details,
  };
  finishAlone(r, { seconds: r.seconds, ...r.details });
}

/** The end of a scenario that runs alone: its table row, a summary, the JSON, the exit code. */
function finishAlone(r: BenchResult, summary: unknown): void {
  printTable([r]);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  saveAlone(r);
}

/** The JSON of a scenario that runs alone (--json), and its exit code. */
function saveAlone(r: BenchResult): void {
  if (args.json) {
    mkdirSync(dirname(resolve(args.json)), { recursive: true });
    writeFileSync(args.json, `${JSON.stringify(r, null, 2)}\n`);
    log(`wrote ${args.json}`);
  }
  process.exitCode = r.completed ? 0 : 1;
}

/**
 * The `sink-scale` scenario (bench/scenarios/sink-scale.ts): the backlog drained by each process
 * count, then joins and leaves under a steady load. One result; rowsPerSec is the largest process
 * count's drain rate; no ceiling (0).
 */
async function sinkScale(machine: MachineInfo, command: string): Promise<void> {
  // --processes 0: only the joins and leaves (no backlog drains).
  const counts = (args.processes ?? '1,2,3').split(',').map(Number);
  if (counts.some((k) => !Number.isInteger(k) || k < 0)) throw new Error(`--processes expects a comma list of counts, got ${args.processes}`);
  const processes = counts.filter((k) => k > 0);
  const loadRate = rate > 0 ? rate : 2000;
  const eventGapS = Number(args['event-gap-s']);
  // The join/leave part produces for about six gaps plus boots and settles; the list must outlast it.
  const n = Math.max(rows, Math.ceil(loadRate * (eventGapS * 6 + 120)));
  log(`run ${runId}: sink-scale / ${workload.name} / backlog ${rows} / ${partitions} partitions / processes ${processes.join(',')} / ${loadRate} changes/s under joins and leaves`);
  const changes = workload.generate(n, args.seed ? Number(args.seed) : undefined);
  const o: SinkScaleOutcome = await runSinkScale({
    runId,
    tmp,
    workload,
    changes,
    rows,
    partitions,
    processes,
    rate: loadRate,
    eventGapS,
    stallMs,
    sink: (name, env) => ourChild(name, 'sink', env),
    cli: ourCli,
    sinkEnv,
  });
  const top = o.throughput[o.throughput.length - 1];
  const r: BenchResult = {
    scenario: 'sink-scale',
    workload: workload.name,
    workloadDescription: workload.description,
    rows,
    completed: o.completed,
    reason: o.reason,
    rowsPerSec: top?.rowsPerSec ?? null,
    ceilingRowsPerSec: 0,
    ratioToCeiling: null,
    latencyMs: null,
    latencyBasis: 'not measured (backlog drains, and pauses in details.events)',
    peakRssMb: { ...Object.assign({}, ...o.throughput.map((t) => t.peakRssMb)), 'bench-harness': selfMemory().peakRssMb },
    seconds: Object.fromEntries(o.throughput.map((t) => [`apply${t.processes}`, t.seconds.apply])),
    machine,
    date: new Date().toISOString(),
    command,
    settings: { workers, partitions, batchSize, processes, rate: loadRate, eventGapS, runId },
    details: { throughput: o.throughput, events: o.events, eventsRun: o.eventsRun },
  };
  const rowsOut = [
    ...o.throughput.map(
      (t) =>
        `${t.processes} process(es): ${t.rowsPerSec ?? '-'} changes/s [${t.perProcess.map((p) => p.rowsPerSec).join(' + ')}], load ${t.loadAvg1m.before}→${t.loadAvg1m.after}, contents ${t.contentsMatch}`,
    ),
    ...o.events.map(
      (e) =>
        `${e.event}: settled ${e.settledAfterMs} ms, dip ${e.dipMs} ms, recovered ${e.eventToRecoveredMs} ms, group stall ${e.groupStallMs} ms, partition gap max ${e.maxPartitionGapMs} / median ${e.medianPartitionGapMs} ms (baseline ${e.baselineRowsPerSec}/s, load ${e.loadAvg1m})`,
    ),
    `joins and leaves at ${loadRate}/s: ${o.eventsRun.produced} produced, contents ${o.eventsRun.contentsMatch}, ${o.eventsRun.assignments} assignments placed, ${o.eventsRun.fencedLogLines} fence log lines`,
  ];
  process.stdout.write(`${rowsOut.join('\n')}\n${o.reason}\n`);
  saveAlone(r);
}

/** The `recovery` scenario (bench/scenarios/recovery.ts): kill -9 under steady writes; no ceiling. */
async function recovery(machine: MachineInfo, command: string): Promise<void> {
  const victims = args.kill!.split(',').map((v) => v.trim());
  for (const v of victims) if (v !== 'sink' && v !== 'source') throw new Error(`--kill takes sink and/or source, got ${v}`);
  const steadyRate = rate > 0 ? rate : 2000; // "flat out" has no steady state to come back to
  const sessionTimeoutMs = Number(args['session-timeout-ms']);
  const confidenceWindowMs = Number(args['confidence-window-ms']);
  const killAtS = Number(args['kill-at-s']);
  const settleS = Number(args['settle-s']);
  log(`run ${runId}: recovery / ${workload.name} / ${rows} changes at ${steadyRate}/s / kill -9 ${victims.join(', then ')}`);
  const changes = workload.generate(rows, args.seed ? Number(args.seed) : undefined);
  const expected = expectedState(workload, changes);
  await loadExpectedState(workload, changes, `${runId}_expected`, (key) => keyString(workload, key));
  const o = await runRecovery({
    workload,
    changes,
    expected,
    runId,
    tmp,
    partitions,
    rate: steadyRate,
    killAtS,
    settleS,
    victims: victims as Victim[],
    stallMs,
    sessionTimeoutMs,
    confidenceWindowMs,
    spawn: (role, name, env) => ourChild(name, role, env),
    sourceEnv: (contactPoint, keyspace) => sourceEnv(contactPoint, keyspace, 'recovery'),
    sinkEnv,
  });
  const r: BenchResult = {
    scenario: 'recovery',
    workload: workload.name,
    workloadDescription: workload.description,
    rows,
    completed: o.completed,
    reason: o.reason,
    rowsPerSec: null,
    ceilingRowsPerSec: 0,
    ratioToCeiling: null,
    latencyMs: o.latencyMs,
    latencyBasis: 'emulator write time → first 100 ms poll that sees the change in PostgreSQL; every change of the run, the recoveries included',
    peakRssMb: { ...o.peakRssMb, 'bench-harness': selfMemory().peakRssMb },
    seconds: { write: o.writeSeconds, ...Object.fromEntries(o.kills.map((k) => [`${k.victim}CaughtUp`, k.phases.caughtUp])) },
    machine,
    date: new Date().toISOString(),
    command,
    settings: {
      rate: steadyRate,
      partitions,
      victims,
      killAtS,
      settleS,
      sessionTimeoutMs,
      confidenceWindowMs,
      thresholdMs: confidenceWindowMs + 2000,
      expectedRows: expected.rows,
      runId,
    },
    details: { kills: o.kills, logs: tmp },
  };
  if (o.targetComplete) await checkContents(r, o.schema);
  // exactness is part of recovering: a run that caught up with wrong contents did not
  if (r.contentsMatch === false) {
    r.completed = false;
    r.reason = `caught up, but ${String(r.details.rowsDifferingFromExpected)} rows differ from the workload`;
  }
  finishAlone(r, { seconds: r.seconds, kills: o.kills.map((k) => ({ victim: k.victim, met: k.met, targetS: k.targetS, ...k.phases })) });
}

/** Count and sum(seq) say every change arrived; contents say it was applied right (column by column). */
async function checkContents(r: BenchResult, schema: string): Promise<void> {
  const differing = await differingRows(
    schema,
    workload.table,
    `${runId}_expected`,
    workload.columns.map((col) => col.name),
  );
  r.details.rowsDifferingFromExpected = differing;
  r.contentsMatch = differing === 0;
}

function printTable(results: BenchResult[]): void {
  const head = ['scenario', 'workload', 'rows', 'rows/s', 'ceiling rows/s', 'ratio', 'vs copy/produce limit', 'p50 ms', 'p95 ms', 'p99 ms', 'peak RSS MiB', 'status', 'CPU s/100k'];
  const lines = results.map((r) => [
    r.scenario,
    r.workload,
    String(r.rows),
    r.rowsPerSec === null ? '-' : String(Math.round(r.rowsPerSec)),
    String(Math.round(r.ceilingRowsPerSec)),
    r.ratioToCeiling === null ? '-' : r.ratioToCeiling.toFixed(3),
    (r.ratioToCopyLimit ?? r.ratioToProduceLimit ?? null) === null ? '-' : (r.ratioToCopyLimit ?? r.ratioToProduceLimit)!.toFixed(3),
    r.latencyMs ? String(r.latencyMs.p50) : '-',
    r.latencyMs ? String(r.latencyMs.p95) : '-',
    r.latencyMs ? String(r.latencyMs.p99) : '-',
    Object.entries(r.peakRssMb)
      .filter(([k]) => !k.endsWith('-hwm'))
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    !r.completed ? r.reason : r.contentsMatch === false ? `WRONG CONTENTS (${String(r.details.rowsDifferingFromExpected)} rows differ)` : 'ok',
    cpuSummary(r.details.cpu),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${fmt(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(fmt).join('\n')}\n`);
}

try {
  await main();
} catch (e) {
  log(`failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
