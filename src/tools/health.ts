/**
 * `scylla-pg-cdc health [--json] [--no-processes]`: one line per dependency and per running process,
 * exit 0 when all answer, 1 otherwise. Replaces the old pipeline's health-check.sh.
 */
import { print } from '../cli/output.js';
import type { CommandContext } from '../cli/command-context.js';
import { parseCommandArgs } from '../cli/args.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadToolsConfig } from '../config/tools-config.js';
import { probeKafka, probePostgres, probeProcess, probeRegistry, probeScylla, type ProbeResult } from './probes.js';

export function formatProbe(r: ProbeResult): string {
  return `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(8)}  ${r.target}  ${r.detail} (${r.ms} ms)`;
}

export async function runHealth(ctx: CommandContext): Promise<number> {
  const args = parseCommandArgs(ctx.argv, { json: { type: 'boolean' }, 'no-processes': { type: 'boolean' } }, 'usage: scylla-pg-cdc health [--json] [--no-processes]');
  const cfg = loadToolsConfig(ctx.env, readSecretFile);
  const json = args.flag('json');
  const probes: Promise<ProbeResult>[] = [probeScylla(cfg), probeKafka(cfg), probeRegistry(cfg), probePostgres(cfg)];
  if (!args.flag('no-processes')) {
    for (const url of cfg.sourceStatusUrl) probes.push(probeProcess('source', url));
    for (const url of cfg.sinkStatusUrl) probes.push(probeProcess('sink', url));
  }
  const results = await Promise.all(probes);
  if (json) print(`${JSON.stringify(results, null, 2)}\n`);
  else for (const r of results) print(`${formatProbe(r)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}
