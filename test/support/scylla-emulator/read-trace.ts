// Which emulated host served which partitions (issue point 12): a test turns tracing on for the
// tables it cares about and checks every read went to a replica of the partitions it names.
import type { Relation } from './cql/ast.js';
import type { EvalContext } from './cql/values.js';
import type { TableDef } from './schema/catalog.js';
import { restrictionsOf, tokenOf } from './storage/select.js';

export interface PartitionRead {
  /** Index of the host that served the request (Engine.hosts / EmulatorHandle.servers). */
  host: number;
  keyspace: string;
  table: string;
  /** Tokens of the partitions the query names (for a CDC log: the stream ids' CDC tokens). */
  tokens: bigint[];
}

export class ReadTrace {
  readonly reads: PartitionRead[] = [];

  constructor(private readonly match: (keyspace: string, table: string) => boolean) {}

  /** Notes a SELECT that names every partition key column; scans (token ranges) are not noted. */
  note(host: number, table: TableDef, where: Relation[], ctx: EvalContext): void {
    if (!this.match(table.keyspace, table.name)) return;
    const r = restrictionsOf(where, table, ctx);
    if (r.pk.size !== table.pk.length) return;
    let keys: Buffer[][] = [[]];
    for (const c of table.pk) keys = keys.flatMap((prefix) => r.pk.get(c.position)!.map((v) => [...prefix, v]));
    this.reads.push({ host, keyspace: table.keyspace, table: table.name, tokens: keys.map((k) => tokenOf(table, k)) });
  }
}
