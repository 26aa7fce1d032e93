// Recursive-descent parser for the CQL statements drivers, readers and tests send.
import { syntaxError } from '../errors.js';
import { tokenize, type Token } from './lexer.js';
import type {
  Assignment,
  BatchStmt,
  ColumnSpec,
  Condition,
  CreateTableStmt,
  DeleteStmt,
  DeleteTarget,
  InsertStmt,
  ModificationStmt,
  Op,
  OptionValue,
  Parsed,
  QName,
  Relation,
  SelectStmt,
  Selector,
  Statement,
  Term,
  TypeRef,
  UpdateStmt,
  UsingClause,
} from './ast.js';

export function parse(src: string): Parsed {
  const p = new Parser(tokenize(src), src);
  const stmt = p.statement();
  p.accept(';');
  p.expectEof();
  return { stmt, bindCount: p.bindCount, bindNames: p.bindNames };
}

class Parser {
  private i = 0;
  bindCount = 0;
  bindNames: (string | undefined)[] = [];

  constructor(
    private readonly toks: Token[],
    private readonly src: string,
  ) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }

  private fail(what: string): never {
    const t = this.peek();
    throw syntaxError(`line 1:${t.pos} ${what} (near '${t.value || 'EOF'}' in: ${this.src.slice(0, 200)})`);
  }

  /** Keyword or punctuation match (keywords are lower-cased unquoted identifiers). */
  private is(v: string, o = 0): boolean {
    const t = this.peek(o);
    return (t.type === 'id' || t.type === 'punct') && t.value === v;
  }
  accept(v: string): boolean {
    if (this.is(v)) {
      this.i++;
      return true;
    }
    // `{'enabled':true}` lexes ':true' as a named marker; inside a map it is ':' + identifier.
    const t = this.peek();
    if (v === ':' && t.type === 'named') {
      this.toks[this.i] = { type: 'id', value: t.value, pos: t.pos + 1 };
      return true;
    }
    return false;
  }
  private expect(v: string): void {
    if (!this.accept(v)) this.fail(`expected '${v}'`);
  }
  expectEof(): void {
    if (this.peek().type !== 'eof') this.fail('unexpected input');
  }

  private ident(): string {
    const t = this.peek();
    if (t.type === 'id' || t.type === 'qid') {
      this.i++;
      return t.value;
    }
    return this.fail('expected identifier');
  }

  private qname(): QName {
    const first = this.ident();
    if (this.accept('.')) return { keyspace: first, name: this.ident() };
    return { name: first };
  }

  statement(): Statement {
    const t = this.peek();
    if (t.type !== 'id') this.fail('expected a statement');
    switch (t.value) {
      case 'select':
        return this.select();
      case 'insert':
        return this.insert();
      case 'update':
        return this.update();
      case 'delete':
        return this.delete();
      case 'begin':
        return this.batch();
      case 'use':
        this.next();
        return { type: 'use', keyspace: this.ident() };
      case 'create':
        return this.create();
      case 'drop':
        return this.drop();
      case 'alter':
        return this.alter();
      case 'truncate':
        this.next();
        this.accept('table');
        return { type: 'truncate', table: this.qname() };
      default:
        return this.fail('unsupported statement');
    }
  }

  // ---- SELECT ----
  private select(): SelectStmt {
    this.expect('select');
    const json = this.accept('json');
    const distinct = this.accept('distinct');
    const selectors: Selector[] = [];
    if (this.accept('*')) selectors.push({ k: 'star' });
    else {
      do selectors.push(this.selector());
      while (this.accept(','));
    }
    this.expect('from');
    const table = this.qname();
    const where = this.accept('where') ? this.relations() : [];
    const orderBy: [string, 'ASC' | 'DESC'][] = [];
    if (this.accept('order')) {
      this.expect('by');
      do {
        const col = this.ident();
        const dir = this.accept('desc') ? 'DESC' : (this.accept('asc'), 'ASC');
        orderBy.push([col, dir]);
      } while (this.accept(','));
    }
    let perPartitionLimit: Term | undefined;
    let limit: Term | undefined;
    if (this.is('per')) {
      this.next();
      this.expect('partition');
      this.expect('limit');
      perPartitionLimit = this.term();
    }
    if (this.accept('limit')) limit = this.term();
    let allowFiltering = false;
    let bypassCache = false;
    for (;;) {
      if (this.accept('allow')) {
        this.expect('filtering');
        allowFiltering = true;
        continue;
      }
      if (this.accept('bypass')) {
        this.expect('cache');
        bypassCache = true;
        continue;
      }
      break;
    }
    return { type: 'select', table, selectors, distinct, json, where, orderBy, limit, perPartitionLimit, allowFiltering, bypassCache };
  }

  private selector(): Selector {
    let sel: Selector;
    const t = this.peek();
    if (t.type === 'id' && this.is('(', 1)) {
      const fn = t.value;
      this.i += 2;
      if (fn === 'count') {
        if (!this.accept('*')) {
          const a = this.peek();
          if (a.type === 'int') this.next();
          else {
            const col = this.ident();
            this.expect(')');
            sel = { k: 'agg', fn: 'count', col };
            return this.alias(sel);
          }
        }
        this.expect(')');
        sel = { k: 'count' };
      } else if (fn === 'writetime' || fn === 'ttl') {
        sel = { k: fn, col: this.ident() };
        this.expect(')');
      } else if (fn === 'token') {
        const cols: string[] = [];
        do cols.push(this.ident());
        while (this.accept(','));
        this.expect(')');
        sel = { k: 'token', cols };
      } else if (fn === 'min' || fn === 'max' || fn === 'sum' || fn === 'avg') {
        sel = { k: 'agg', fn, col: this.ident() };
        this.expect(')');
      } else {
        sel = { k: 'fn', fn, col: this.ident() };
        this.expect(')');
      }
    } else {
      sel = { k: 'col', name: this.ident() };
    }
    return this.alias(sel);
  }

  private alias(sel: Selector): Selector {
    if (this.accept('as')) return { ...sel, alias: this.ident() } as Selector;
    return sel;
  }

  private relations(): Relation[] {
    const out: Relation[] = [];
    do out.push(this.relation());
    while (this.accept('and'));
    return out;
  }

  private op(): Op {
    const t = this.next();
    if (t.type === 'punct' && ['=', '<', '<=', '>', '>=', '!='].includes(t.value)) return t.value as Op;
    if (t.type === 'id' && t.value === 'in') return 'IN';
    if (t.type === 'id' && t.value === 'contains') {
      if (this.accept('key')) return 'CONTAINS KEY';
      return 'CONTAINS';
    }
    this.i--;
    return this.fail('expected an operator');
  }

  private relation(): Relation {
    if (this.is('token') && this.is('(', 1)) {
      this.i += 2;
      const cols: string[] = [];
      do cols.push(this.ident());
      while (this.accept(','));
      this.expect(')');
      const op = this.op();
      return { k: 'token', cols, op, value: this.term() };
    }
    if (this.is('(')) {
      this.next();
      const cols: string[] = [];
      do cols.push(this.ident());
      while (this.accept(','));
      this.expect(')');
      const op = this.op();
      if (op === 'IN' && this.is('(') && this.is('(', 1)) {
        this.next();
        const inList: Term[] = [];
        do inList.push(this.term());
        while (this.accept(','));
        this.expect(')');
        return { k: 'multi', cols, op, value: inList[0]!, inList };
      }
      return { k: 'multi', cols, op, value: this.term() };
    }
    const col = this.ident();
    const op = this.op();
    if (op === 'IN' && this.is('(')) {
      this.next();
      const inList: Term[] = [];
      if (!this.is(')')) {
        do inList.push(this.term());
        while (this.accept(','));
      }
      this.expect(')');
      return { k: 'col', col, op, value: { k: 'list', items: inList }, inList };
    }
    return { k: 'col', col, op, value: this.term() };
  }

  // ---- terms ----
  term(): Term {
    const t = this.peek();
    switch (t.type) {
      case 'bind':
        this.next();
        return this.bind();
      case 'named':
        this.next();
        return this.bind(t.value);
      case 'int':
        this.next();
        return { k: 'lit', t: 'int', v: t.value };
      case 'float':
        this.next();
        return { k: 'lit', t: 'float', v: t.value };
      case 'str':
        this.next();
        return { k: 'lit', t: 'str', v: t.value };
      case 'blob':
        this.next();
        return { k: 'lit', t: 'blob', v: t.value };
      case 'uuid':
        this.next();
        return { k: 'lit', t: 'uuid', v: t.value };
      case 'punct':
        if (t.value === '-') {
          this.next();
          const n = this.next();
          if (n.type === 'int' || n.type === 'float') return { k: 'lit', t: n.type, v: '-' + n.value };
          if (n.type === 'id' && n.value === 'infinity') return { k: 'lit', t: 'inf', v: '-' };
          return this.fail('expected a number');
        }
        if (t.value === '[') {
          this.next();
          const items: Term[] = [];
          if (!this.is(']')) {
            do items.push(this.term());
            while (this.accept(','));
          }
          this.expect(']');
          return { k: 'list', items };
        }
        if (t.value === '{') return this.braced();
        if (t.value === '(') {
          this.next();
          const items: Term[] = [];
          do items.push(this.term());
          while (this.accept(','));
          this.expect(')');
          return { k: 'tuple', items };
        }
        return this.fail('expected a term');
      case 'id': {
        if (t.value === 'true' || t.value === 'false') {
          this.next();
          return { k: 'lit', t: 'bool', v: t.value };
        }
        if (t.value === 'null') {
          this.next();
          return { k: 'lit', t: 'null', v: '' };
        }
        if (t.value === 'nan') {
          this.next();
          return { k: 'lit', t: 'nan', v: '' };
        }
        if (t.value === 'infinity') {
          this.next();
          return { k: 'lit', t: 'inf', v: '' };
        }
        if (this.is('(', 1)) {
          this.i += 2;
          const args: Term[] = [];
          if (!this.is(')')) {
            do args.push(this.term());
            while (this.accept(','));
          }
          this.expect(')');
          return { k: 'fn', name: t.value, args };
        }
        return this.fail('expected a term');
      }
      default:
        return this.fail('expected a term');
    }
  }

  private bind(name?: string): Term {
    const idx = this.bindCount++;
    this.bindNames.push(name);
    return name === undefined ? { k: 'bind', idx } : { k: 'bind', idx, name };
  }

  private braced(): Term {
    this.expect('{');
    if (this.accept('}')) return { k: 'map', entries: [] };
    // A UDT literal has identifier keys: {a: 1, "B": 2}.
    const t0 = this.peek();
    if (
      (t0.type === 'id' || t0.type === 'qid') &&
      (this.is(':', 1) || this.peek(1).type === 'named') &&
      !(t0.type === 'id' && ['true', 'false', 'null', 'nan', 'infinity'].includes(t0.value))
    ) {
      const fields: [string, Term][] = [];
      do {
        const f = this.ident();
        this.expect(':');
        fields.push([f, this.term()]);
      } while (this.accept(','));
      this.expect('}');
      return { k: 'udt', fields };
    }
    const first = this.term();
    if (this.accept(':')) {
      const entries: [Term, Term][] = [[first, this.term()]];
      while (this.accept(',')) {
        const k = this.term();
        this.expect(':');
        entries.push([k, this.term()]);
      }
      this.expect('}');
      return { k: 'map', entries };
    }
    const items = [first];
    while (this.accept(',')) items.push(this.term());
    this.expect('}');
    return { k: 'set', items };
  }

  // ---- INSERT / UPDATE / DELETE / BATCH ----
  private using(u: UsingClause): void {
    if (!this.accept('using')) return;
    do {
      if (this.accept('ttl')) u.ttl = this.term();
      else if (this.accept('timestamp')) u.timestamp = this.term();
      else if (this.accept('timeout')) this.term();
      else this.fail('expected TTL or TIMESTAMP');
    } while (this.accept('and'));
  }

  private insert(): InsertStmt {
    this.expect('insert');
    this.expect('into');
    const table = this.qname();
    if (this.is('json')) this.fail('INSERT JSON is not supported by the emulator');
    this.expect('(');
    const columns: string[] = [];
    do columns.push(this.ident());
    while (this.accept(','));
    this.expect(')');
    this.expect('values');
    this.expect('(');
    const values: Term[] = [];
    do values.push(this.term());
    while (this.accept(','));
    this.expect(')');
    let ifNotExists = false;
    if (this.accept('if')) {
      this.expect('not');
      this.expect('exists');
      ifNotExists = true;
    }
    const stmt: InsertStmt = { type: 'insert', table, columns, values, ifNotExists };
    this.using(stmt);
    if (!ifNotExists && this.accept('if')) {
      this.expect('not');
      this.expect('exists');
      stmt.ifNotExists = true;
    }
    if (columns.length !== values.length) throw syntaxError('Unmatched column names/values');
    return stmt;
  }

  private conditions(): { ifExists: boolean; conditions: Condition[] } {
    if (!this.accept('if')) return { ifExists: false, conditions: [] };
    if (this.accept('exists')) return { ifExists: true, conditions: [] };
    const conditions: Condition[] = [];
    do {
      const col = this.ident();
      const c: Condition = { col, op: '=', value: { k: 'lit', t: 'null', v: '' } };
      if (this.accept('[')) {
        c.key = this.term();
        this.expect(']');
      } else if (this.accept('.')) c.field = this.ident();
      c.op = this.op();
      if (c.op === 'IN' && this.is('(')) {
        this.next();
        c.inList = [];
        do c.inList.push(this.term());
        while (this.accept(','));
        this.expect(')');
      } else c.value = this.term();
      conditions.push(c);
    } while (this.accept('and'));
    return { ifExists: false, conditions };
  }

  private update(): UpdateStmt {
    this.expect('update');
    const table = this.qname();
    const stmt: UpdateStmt = { type: 'update', table, assignments: [], where: [], ifExists: false, conditions: [] };
    this.using(stmt);
    this.expect('set');
    do stmt.assignments.push(this.assignment());
    while (this.accept(','));
    this.expect('where');
    stmt.where = this.relations();
    Object.assign(stmt, this.conditions());
    return stmt;
  }

  private assignment(): Assignment {
    const col = this.ident();
    if (this.accept('[')) {
      const key = this.term();
      this.expect(']');
      this.expect('=');
      return { k: 'elem', col, key, value: this.term() };
    }
    if (this.accept('.')) {
      const field = this.ident();
      this.expect('=');
      return { k: 'field', col, field, value: this.term() };
    }
    if (this.accept('+=')) return { k: 'add', col, value: this.term() };
    if (this.accept('-=')) return { k: 'remove', col, value: this.term() };
    this.expect('=');
    const t = this.peek();
    if ((t.type === 'id' || t.type === 'qid') && t.value === col && (this.is('+', 1) || this.is('-', 1))) {
      this.next();
      const plus = this.next().value === '+';
      return { k: plus ? 'add' : 'remove', col, value: this.term() };
    }
    const value = this.term();
    if (this.accept('+')) {
      const other = this.ident();
      if (other !== col) this.fail(`Only expressions of the form X = <value> + X are supported`);
      return { k: 'prepend', col, value };
    }
    return { k: 'set', col, value };
  }

  private delete(): DeleteStmt {
    this.expect('delete');
    const targets: DeleteTarget[] = [];
    if (!this.is('from')) {
      do {
        const col = this.ident();
        if (this.accept('[')) {
          const key = this.term();
          this.expect(']');
          targets.push({ col, key });
        } else if (this.accept('.')) targets.push({ col, field: this.ident() });
        else targets.push({ col });
      } while (this.accept(','));
    }
    this.expect('from');
    const table = this.qname();
    const stmt: DeleteStmt = { type: 'delete', table, targets, where: [], ifExists: false, conditions: [] };
    this.using(stmt);
    this.expect('where');
    stmt.where = this.relations();
    Object.assign(stmt, this.conditions());
    return stmt;
  }

  private batch(): BatchStmt {
    this.expect('begin');
    let kind: BatchStmt['kind'] = 'logged';
    if (this.accept('unlogged')) kind = 'unlogged';
    else if (this.accept('counter')) kind = 'counter';
    else this.accept('logged');
    this.expect('batch');
    const stmt: BatchStmt = { type: 'batch', kind, statements: [] };
    this.using(stmt);
    while (!this.is('apply')) {
      const s = this.statement();
      if (s.type !== 'insert' && s.type !== 'update' && s.type !== 'delete') this.fail('Only INSERT, UPDATE and DELETE are allowed in a batch');
      stmt.statements.push(s as ModificationStmt);
      this.accept(';');
    }
    this.expect('apply');
    this.expect('batch');
    return stmt;
  }

  // ---- DDL ----
  private ifNotExists(): boolean {
    if (this.accept('if')) {
      this.expect('not');
      this.expect('exists');
      return true;
    }
    return false;
  }
  private ifExists(): boolean {
    if (this.accept('if')) {
      this.expect('exists');
      return true;
    }
    return false;
  }

  private create(): Statement {
    this.expect('create');
    if (this.accept('keyspace') || this.accept('schema')) {
      const ifNotExists = this.ifNotExists();
      const name = this.ident();
      this.expect('with');
      return { type: 'createKeyspace', name, ifNotExists, options: this.options() };
    }
    if (this.accept('table') || this.accept('columnfamily')) return this.createTable();
    if (this.accept('type')) {
      const ifNotExists = this.ifNotExists();
      const name = this.qname();
      this.expect('(');
      const fields: [string, TypeRef][] = [];
      do fields.push([this.ident(), this.typeRef()]);
      while (this.accept(','));
      this.expect(')');
      return { type: 'createType', name, ifNotExists, fields };
    }
    return this.fail('unsupported CREATE');
  }

  private createTable(): CreateTableStmt {
    const ifNotExists = this.ifNotExists();
    const table = this.qname();
    const stmt: CreateTableStmt = {
      type: 'createTable',
      table,
      ifNotExists,
      columns: [],
      partitionKey: [],
      clusteringKey: [],
      clusteringOrder: [],
      options: [],
      compactStorage: false,
    };
    this.expect('(');
    do {
      if (this.is('primary') && this.is('key', 1)) {
        this.i += 2;
        this.expect('(');
        if (this.accept('(')) {
          do stmt.partitionKey.push(this.ident());
          while (this.accept(','));
          this.expect(')');
        } else stmt.partitionKey.push(this.ident());
        while (this.accept(',')) stmt.clusteringKey.push(this.ident());
        this.expect(')');
        continue;
      }
      if (this.is(')')) break;
      const spec: ColumnSpec = { name: this.ident(), type: this.typeRef(), isStatic: false };
      if (this.accept('static')) spec.isStatic = true;
      if (this.accept('ttl')) spec.rowTtl = true;
      if (this.accept('primary')) {
        this.expect('key');
        stmt.partitionKey.push(spec.name);
      }
      stmt.columns.push(spec);
    } while (this.accept(','));
    this.expect(')');
    if (this.accept('with')) {
      do {
        if (this.accept('clustering')) {
          this.expect('order');
          this.expect('by');
          this.expect('(');
          do {
            const c = this.ident();
            const dir = this.accept('desc') ? 'DESC' : (this.accept('asc'), 'ASC');
            stmt.clusteringOrder.push([c, dir]);
          } while (this.accept(','));
          this.expect(')');
        } else if (this.accept('compact')) {
          this.expect('storage');
          stmt.compactStorage = true;
        } else stmt.options.push(this.option());
      } while (this.accept('and'));
    }
    return stmt;
  }

  private options(): [string, OptionValue][] {
    const out: [string, OptionValue][] = [];
    do out.push(this.option());
    while (this.accept('and'));
    return out;
  }

  private option(): [string, OptionValue] {
    const name = this.ident();
    this.expect('=');
    return [name, this.optionValue()];
  }

  private optionValue(): OptionValue {
    const t = this.peek();
    if (t.type === 'str') {
      this.next();
      return { k: 'str', v: t.value };
    }
    if (t.type === 'int' || t.type === 'float') {
      this.next();
      return { k: 'num', v: t.value };
    }
    if (this.is('-')) {
      this.next();
      const n = this.next();
      return { k: 'num', v: '-' + n.value };
    }
    if (t.type === 'id' && (t.value === 'true' || t.value === 'false')) {
      this.next();
      return { k: 'bool', v: t.value === 'true' };
    }
    if (this.accept('{')) {
      const entries: [string, string][] = [];
      if (!this.is('}')) {
        do {
          const k = this.next();
          this.expect(':');
          const vt = this.next();
          let v = vt.value;
          if (vt.type === 'punct' && v === '-') v = '-' + this.next().value;
          entries.push([k.value, v]);
        } while (this.accept(','));
      }
      this.expect('}');
      return { k: 'map', v: entries };
    }
    if (t.type === 'id' || t.type === 'qid') {
      this.next();
      return { k: 'id', v: t.value };
    }
    return this.fail('expected an option value');
  }

  typeRef(): TypeRef {
    const t = this.peek();
    if (t.type !== 'id' && t.type !== 'qid') this.fail('expected a type');
    this.next();
    if (t.type === 'id') {
      if (t.value === 'frozen') {
        this.expect('<');
        const inner = this.typeRef();
        this.expect('>');
        if (inner.kind === 'list' || inner.kind === 'set' || inner.kind === 'map' || inner.kind === 'udtref') return { ...inner, frozen: true };
        return inner;
      }
      if (t.value === 'list' || t.value === 'set') {
        this.expect('<');
        const elem = this.typeRef();
        this.expect('>');
        return { kind: t.value, elem, frozen: false };
      }
      if (t.value === 'map') {
        this.expect('<');
        const key = this.typeRef();
        this.expect(',');
        const value = this.typeRef();
        this.expect('>');
        return { kind: 'map', key, value, frozen: false };
      }
      if (t.value === 'tuple') {
        this.expect('<');
        const elems: TypeRef[] = [];
        do elems.push(this.typeRef());
        while (this.accept(','));
        this.expect('>');
        return { kind: 'tuple', elems };
      }
    }
    if (this.accept('.')) return { kind: 'udtref', keyspace: t.value, name: this.ident(), frozen: false };
    if (t.type === 'id' && isNativeName(t.value)) return { kind: 'native', name: t.value };
    return { kind: 'udtref', name: t.value, frozen: false };
  }

  private drop(): Statement {
    this.expect('drop');
    if (this.accept('keyspace') || this.accept('schema')) {
      const ifExists = this.ifExists();
      return { type: 'dropKeyspace', name: this.ident(), ifExists };
    }
    if (this.accept('table') || this.accept('columnfamily')) {
      const ifExists = this.ifExists();
      return { type: 'dropTable', table: this.qname(), ifExists };
    }
    if (this.accept('type')) {
      const ifExists = this.ifExists();
      return { type: 'dropType', name: this.qname(), ifExists };
    }
    return this.fail('unsupported DROP');
  }

  private alter(): Statement {
    this.expect('alter');
    if (this.accept('keyspace')) {
      const name = this.ident();
      this.expect('with');
      return { type: 'alterKeyspace', name, options: this.options() };
    }
    this.expect('table');
    const table = this.qname();
    if (this.accept('add')) {
      const columns: ColumnSpec[] = [];
      const paren = this.accept('(');
      do {
        const spec: ColumnSpec = { name: this.ident(), type: this.typeRef(), isStatic: false };
        if (this.accept('static')) spec.isStatic = true;
        columns.push(spec);
      } while (paren && this.accept(','));
      if (paren) this.expect(')');
      return { type: 'alterTable', table, action: 'add', columns };
    }
    if (this.accept('drop')) {
      const names: string[] = [];
      const paren = this.accept('(');
      do names.push(this.ident());
      while (paren && this.accept(','));
      if (paren) this.expect(')');
      return { type: 'alterTable', table, action: 'drop', names };
    }
    if (this.accept('with')) return { type: 'alterTable', table, action: 'with', options: this.options() };
    if (this.accept('ttl')) return { type: 'alterTable', table, action: 'ttl', column: this.accept('null') ? null : this.ident() };
    return this.fail('unsupported ALTER TABLE');
  }
}

const NATIVE = new Set([
  'ascii',
  'bigint',
  'blob',
  'boolean',
  'counter',
  'date',
  'decimal',
  'double',
  'duration',
  'float',
  'inet',
  'int',
  'smallint',
  'text',
  'time',
  'timestamp',
  'timeuuid',
  'tinyint',
  'uuid',
  'varchar',
  'varint',
]);
function isNativeName(n: string): boolean {
  return NATIVE.has(n);
}
