/**
 * What a command receives. In a module of its own: every command imports it, and the command
 * table (commands.ts) imports every command, so defining it there made an import cycle.
 */
export interface CommandContext {
  /** The arguments after the command name. */
  argv: string[];
  env: Record<string, string | undefined>;
}
