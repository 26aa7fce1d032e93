// CQL-reachable control surface: `INSERT INTO emulator.commands (name, arg) VALUES ('add_node', '{"delayMs":60000}')`
// runs a command, so out-of-process users (the CLI emulator in the local stack) can trigger
// generation switches, tablet splits/merges and faults with any CQL client.
import { invalid } from './errors.js';
import type { TabletStreams } from './cdc/tablets.js';
import type { FaultConfig, Faults } from './faults.js';
import type { Catalog } from './schema/catalog.js';

/** What the commands drive: the engine, described here so control.ts does not import engine.ts (which imports it). */
export interface ControlTarget {
  readonly catalog: Pick<Catalog, 'table'>;
  readonly tablets: Pick<TabletStreams, 'split' | 'merge'>;
  readonly faults: Pick<Faults, 'set' | 'reset' | 'dropAllConnections'>;
  addNode(delayMs: number, vnodes?: number): number;
}

export const CONTROL_KEYSPACE = 'emulator';
export const CONTROL_DDL = 'CREATE TABLE commands (name text PRIMARY KEY, arg text, result text)';

export function runCommand(engine: ControlTarget, name: string, arg: string | null): string {
  let a: Record<string, unknown> = {};
  if (arg) {
    try {
      a = JSON.parse(arg) as Record<string, unknown>;
    } catch {
      throw invalid(`emulator command ${name}: arg must be JSON`);
    }
  }
  const num = (k: string, d: number): number => (typeof a[k] === 'number' ? (a[k] as number) : d);
  const tableOf = (): ReturnType<Catalog['table']> => engine.catalog.table(String(a['keyspace']), String(a['table']));
  switch (name) {
    case 'add_node':
      return String(engine.addNode(num('delayMs', 60_000), typeof a['vnodes'] === 'number' ? (a['vnodes'] as number) : undefined));
    case 'split_tablet':
      return String(engine.tablets.split(tableOf(), Date.now(), num('delayMs', 0)).ts);
    case 'merge_tablets':
      return String(engine.tablets.merge(tableOf(), Date.now(), num('delayMs', 0)).ts);
    case 'faults':
      engine.faults.set(a as FaultConfig);
      return 'ok';
    case 'reset_faults':
      engine.faults.reset();
      return 'ok';
    case 'drop_connections':
      setImmediate(() => engine.faults.dropAllConnections());
      return 'ok';
    default:
      throw invalid(`Unknown emulator command '${name}' (add_node, split_tablet, merge_tablets, faults, reset_faults, drop_connections)`);
  }
}
