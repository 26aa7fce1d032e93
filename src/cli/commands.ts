/**
 * The CLI's command table (README, "CLI"). Each command's implementation is imported lazily so
 * `--help` and config errors answer fast and a sink never loads the Cassandra driver.
 */
import type { SpecTable } from '../config/spec.js';
import type { CommandContext } from './command-context.js';

export type { CommandContext };

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Config variables the command reads, listed by `--help`. */
  vars: () => Promise<SpecTable>;
  run: (ctx: CommandContext) => Promise<number>;
}

const sourceVars = async () => (await import('../config/source-config.js')).sourceVars;
const sinkVars = async () => (await import('../config/sink-config.js')).sinkVars;
const toolsVars = async () => (await import('../config/tools-config.js')).toolsVars;

export const COMMANDS: Command[] = [
  {
    name: 'source',
    summary: 'read ScyllaDB CDC (snapshot first if configured) and produce Avro records to Kafka, exactly once',
    usage: 'scylla-pg-cdc source',
    vars: sourceVars,
    run: async (ctx) => (await import('../source/main.js')).runSource(ctx),
  },
  {
    name: 'sink',
    summary: 'consume the CDC topics and apply them to PostgreSQL, exactly once, with a dead-letter queue',
    usage: 'scylla-pg-cdc sink',
    vars: sinkVars,
    run: async (ctx) => (await import('../sink/main.js')).runSink(ctx),
  },
  {
    name: 'health',
    summary: 'check every dependency (ScyllaDB, Kafka, registry, PostgreSQL) and running process; exit 0 or 1',
    usage: 'scylla-pg-cdc health [--json] [--no-processes]',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/health.js')).runHealth(ctx),
  },
  {
    name: 'dlq',
    summary: 'list the dead-letter queue decoded for people, or replay records after the cause is fixed (exactly once)',
    usage:
      'scylla-pg-cdc dlq list [--limit N] [--json] [--topic T] [--filter TERM] | dlq replay [--topic T] [--filter TERM] [--to TOPIC] [--dry-run]\n  TERM: reason=… stage=… partition=… offset>=… offset<=… key~… message~…',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/dlq.js')).runDlq(ctx),
  },
  {
    name: 'offsets',
    summary: 'back up or restore the source checkpoints and the sink offsets (import refuses while processes run)',
    usage: 'scylla-pg-cdc offsets export FILE | offsets import FILE [--force] | offsets ack [--topic T] [--partition N]',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/offsets.js')).runOffsets(ctx),
  },
  {
    name: 'status',
    summary: 'tables, lag, rates, DLQ counts, on-demand snapshots and paused tables of the running pipeline',
    usage: 'scylla-pg-cdc status [--json]',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/status.js')).runStatus(ctx),
  },
  {
    name: 'snapshot',
    summary: 'read one table again by token ranges beside the running stream (resumable, version-guarded), or list the requests',
    usage: 'scylla-pg-cdc snapshot --table KS.T | snapshot --list [--json]',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/snapshot.js')).runSnapshot(ctx),
  },
  {
    name: 'pause',
    summary: 'stop applying one table in every running sink (its changes wait in Kafka), or list the paused tables',
    usage: 'scylla-pg-cdc pause (--table KS.T | --topic T) [--reason TEXT] [--by WHO] [--force] | pause --list [--json]',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/table-pause.js')).runTablePause('pause', ctx),
  },
  {
    name: 'resume',
    summary: 'apply a paused table again, from where the sinks stopped',
    usage: 'scylla-pg-cdc resume (--table KS.T | --topic T)',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/table-pause.js')).runTablePause('resume', ctx),
  },
  {
    name: 'reconcile',
    summary: 'compare ScyllaDB and PostgreSQL row by row (JSON report), optionally repair through the version guard',
    usage:
      'scylla-pg-cdc reconcile (--table KS.T | --all-tables) [--dry-run | --repair] [--report FILE] [--max-listed N] [--ranges N]\n       scylla-pg-cdc reconcile status [--limit N] [--json]',
    vars: toolsVars,
    run: async (ctx) => (await import('../tools/reconcile/run.js')).runReconcile(ctx),
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
