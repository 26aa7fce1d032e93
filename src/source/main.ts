import type { CommandContext } from '../cli/commands.js';
import { loadSourceConfig } from '../config/source-config.js';
import { readSecretFile } from '../config/read-secret-file.js';

/** Placeholder until the source lands: validates config so operators get exit 2 on bad settings. */
export async function runSource(ctx: CommandContext): Promise<number> {
  loadSourceConfig(ctx.env, readSecretFile);
  process.stderr.write('scylla-pg-cdc source: not implemented yet\n');
  return 1;
}
