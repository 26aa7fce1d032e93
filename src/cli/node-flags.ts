/**
 * Node flags a command is launched with (bin/scylla-pg-cdc, which a test keeps equal to this list;
 * the bench runs our processes with them too). Only flags V8 reads once, when it makes the heap.
 *
 * sink: `--max-semi-space-size=4` makes the main thread's young generation 8 MiB instead of 32. Its
 * decoded changes live seconds, from decode to commit, so they outlive any young generation and a
 * larger one only holds more garbage (docs/sink.md, "Memory").
 */
export const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  sink: ['--max-semi-space-size=4'],
};

/** The flags for `command`, minus those whose name NODE_OPTIONS already sets (it then decides). */
export function nodeFlagsFor(command: string, nodeOptions = ''): string[] {
  return (NODE_FLAGS[command] ?? []).filter((f) => !nodeOptions.includes(f.split('=')[0]!));
}
