// Parsed statements. Terms stay untyped until execution, where the target column gives the type.
export type Term =
  | { k: 'lit'; t: 'int' | 'float' | 'str' | 'bool' | 'null' | 'blob' | 'uuid' | 'nan' | 'inf'; v: string; neg?: boolean }
  | { k: 'bind'; idx: number; name?: string }
  | { k: 'list'; items: Term[] }
  | { k: 'set'; items: Term[] }
  | { k: 'map'; entries: [Term, Term][] }
  | { k: 'udt'; fields: [string, Term][] }
  | { k: 'tuple'; items: Term[] }
  | { k: 'fn'; name: string; args: Term[] };

export interface QName {
  keyspace?: string;
  name: string;
}

export type Op = '=' | '<' | '<=' | '>' | '>=' | '!=' | 'IN' | 'CONTAINS' | 'CONTAINS KEY';

export type Relation =
  | { k: 'col'; col: string; op: Op; value: Term; inList?: Term[] }
  | { k: 'token'; cols: string[]; op: Op; value: Term }
  | { k: 'multi'; cols: string[]; op: Op; value: Term; inList?: Term[] };

export type Selector =
  | { k: 'star' }
  | { k: 'col'; name: string; alias?: string }
  | { k: 'count'; alias?: string }
  | { k: 'agg'; fn: 'min' | 'max' | 'sum' | 'avg' | 'count'; col: string; alias?: string }
  | { k: 'writetime' | 'ttl'; col: string; alias?: string }
  | { k: 'token'; cols: string[]; alias?: string }
  | { k: 'fn'; fn: string; col: string; alias?: string };

export type Assignment =
  | { k: 'set'; col: string; value: Term }
  | { k: 'add'; col: string; value: Term }
  | { k: 'prepend'; col: string; value: Term }
  | { k: 'remove'; col: string; value: Term }
  | { k: 'elem'; col: string; key: Term; value: Term }
  | { k: 'field'; col: string; field: string; value: Term };

export interface DeleteTarget {
  col: string;
  key?: Term;
  field?: string;
}

export interface Condition {
  col: string;
  key?: Term;
  field?: string;
  op: Op;
  value: Term;
  inList?: Term[];
}

export type TypeRef =
  | { kind: 'native'; name: string }
  | { kind: 'list' | 'set'; elem: TypeRef; frozen: boolean }
  | { kind: 'map'; key: TypeRef; value: TypeRef; frozen: boolean }
  | { kind: 'tuple'; elems: TypeRef[] }
  | { kind: 'udtref'; keyspace?: string; name: string; frozen: boolean };

export type OptionValue = { k: 'str'; v: string } | { k: 'num'; v: string } | { k: 'bool'; v: boolean } | { k: 'id'; v: string } | { k: 'map'; v: [string, string][] };

export interface SelectStmt {
  type: 'select';
  table: QName;
  selectors: Selector[];
  distinct: boolean;
  json: boolean;
  where: Relation[];
  orderBy: [string, 'ASC' | 'DESC'][];
  limit?: Term;
  perPartitionLimit?: Term;
  allowFiltering: boolean;
  bypassCache: boolean;
}

export interface UsingClause {
  ttl?: Term;
  timestamp?: Term;
}

export interface InsertStmt extends UsingClause {
  type: 'insert';
  table: QName;
  columns: string[];
  values: Term[];
  ifNotExists: boolean;
}

export interface UpdateStmt extends UsingClause {
  type: 'update';
  table: QName;
  assignments: Assignment[];
  where: Relation[];
  ifExists: boolean;
  conditions: Condition[];
}

export interface DeleteStmt extends UsingClause {
  type: 'delete';
  table: QName;
  targets: DeleteTarget[];
  where: Relation[];
  ifExists: boolean;
  conditions: Condition[];
}

export type ModificationStmt = InsertStmt | UpdateStmt | DeleteStmt;

export interface BatchStmt extends UsingClause {
  type: 'batch';
  kind: 'logged' | 'unlogged' | 'counter';
  statements: ModificationStmt[];
}

export interface ColumnSpec {
  name: string;
  type: TypeRef;
  isStatic: boolean;
  /** `exp timestamp TTL`: the per-row TTL column (docs/cql/cql-extensions.md). */
  rowTtl?: boolean;
}

export interface CreateTableStmt {
  type: 'createTable';
  table: QName;
  ifNotExists: boolean;
  columns: ColumnSpec[];
  partitionKey: string[];
  clusteringKey: string[];
  clusteringOrder: [string, 'ASC' | 'DESC'][];
  options: [string, OptionValue][];
  compactStorage: boolean;
}

export type Statement =
  | SelectStmt
  | InsertStmt
  | UpdateStmt
  | DeleteStmt
  | BatchStmt
  | CreateTableStmt
  | { type: 'use'; keyspace: string }
  | { type: 'createKeyspace'; name: string; ifNotExists: boolean; options: [string, OptionValue][] }
  | { type: 'alterKeyspace'; name: string; options: [string, OptionValue][] }
  | { type: 'createType'; name: QName; ifNotExists: boolean; fields: [string, TypeRef][] }
  | { type: 'dropKeyspace'; name: string; ifExists: boolean }
  | { type: 'dropTable'; table: QName; ifExists: boolean }
  | { type: 'dropType'; name: QName; ifExists: boolean }
  | { type: 'truncate'; table: QName }
  | { type: 'alterTable'; table: QName; action: 'add'; columns: ColumnSpec[] }
  | { type: 'alterTable'; table: QName; action: 'drop'; names: string[] }
  | { type: 'alterTable'; table: QName; action: 'with'; options: [string, OptionValue][] }
  | { type: 'alterTable'; table: QName; action: 'ttl'; column: string | null };

export interface Parsed {
  stmt: Statement;
  bindCount: number;
  bindNames: (string | undefined)[];
}
