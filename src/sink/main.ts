import type { CommandContext } from '../cli/commands.js';
import { loadSinkConfig } from '../config/sink-config.js';
import { readSecretFile } from '../config/read-secret-file.js';

/** Placeholder until the sink lands: validates config so operators get exit 2 on bad settings. */
export async function runSink(ctx: CommandContext): Promise<number> {
  loadSinkConfig(ctx.env, readSecretFile);
  process.stderr.write('scylla-pg-cdc sink: not implemented yet\n');
  return 1;
}
