// CLI: `npm run scylla-emulator -- --port 9042 [--tablets] [--seed N] ...`; prints `ready <port>`
// once listening and exits 0 on SIGTERM/SIGINT. SIGUSR2 adds a node (new generation).
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9042' },
    host: { type: 'string', default: '127.0.0.1' },
    tablets: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    vnodes: { type: 'string', default: '8' },
    shards: { type: 'string', default: '2' },
    'initial-tablets': { type: 'string', default: '4' },
    'first-generation-delay-ms': { type: 'string', default: '-1000' },
    'add-node-delay-ms': { type: 'string', default: '60000' },
    'switch-duplicate-ms': { type: 'string', default: '2000' },
    'row-ttl-period-ms': { type: 'string', default: '1000' },
    'no-ck-delete-preimage': { type: 'string', default: 'true' },
    'delay-ms': { type: 'string' },
    'drop-share': { type: 'string' },
    'fail-share': { type: 'string' },
    'fail-kind': { type: 'string' },
    'fail-match': { type: 'string' },
    'late-visibility-ms': { type: 'string' },
    'late-visibility-share': { type: 'string' },
    // A daemon started by `npm run stack:up` outlives its launcher on purpose.
    detached: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(`scylla-emulator: CQL v4 server emulating ScyllaDB CDC (see test/support/scylla-emulator/README.md)
  --port N (9042)  --host H (127.0.0.1)  --tablets  --seed N (1)  --vnodes N (8)  --shards N (2)  --initial-tablets N (4)
  --first-generation-delay-ms N (-1000; Scylla ≈ 60000)  --add-node-delay-ms N (60000, used by SIGUSR2)
  --row-ttl-period-ms N (1000; per-row TTL expiry pass, 0 = never)
  --no-ck-delete-preimage true|false (true = ScyllaDB 2026.1+: pre-image for DELETE of a row of a table without clustering key)
  --switch-duplicate-ms N (2000; tablets: writes this close to a stream-set switch go to old and new stream; 0 = off)
  faults: --delay-ms N  --drop-share F  --fail-share F  --fail-kind read_timeout|write_timeout|unavailable  --fail-match REGEX
          --late-visibility-ms N  --late-visibility-share F
  --detached  keep running when the launcher exits (the local stack's daemon); otherwise an orphaned emulator exits
`);
  process.exit(0);
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const failKind = values['fail-kind'] as 'read_timeout' | 'write_timeout' | 'unavailable' | undefined;

const handle = await startEmulator({
  port: Number(values.port),
  host: values.host,
  tablets: values.tablets,
  seed: Number(values.seed),
  vnodes: Number(values.vnodes),
  shards: Number(values.shards),
  initialTablets: Number(values['initial-tablets']),
  firstGenerationDelayMs: Number(values['first-generation-delay-ms']),
  switchDuplicateMs: Number(values['switch-duplicate-ms']),
  rowTtlPeriodMs: Number(values['row-ttl-period-ms']),
  noCkDeletePreimage: values['no-ck-delete-preimage'] !== 'false',
  faults: {
    delayMs: num(values['delay-ms']),
    dropShare: num(values['drop-share']),
    failShare: num(values['fail-share']),
    failKind,
    match: values['fail-match'],
    lateVisibilityMs: num(values['late-visibility-ms']),
    lateVisibilityShare: num(values['late-visibility-share']),
  },
});
process.stdout.write(`ready ${handle.port}\n`);

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  handle.close().then(
    () => process.exit(0),
    () => process.exit(0),
  );
};
process.on('SIGTERM', shutdown);
// Launch wrappers (npm exec, tsx) do not always relay signals; exit when orphaned so the port is freed.
// (Not with --detached: the local stack starts the emulator as a daemon that outlives the stack script.)
const launcher = process.ppid;
if (!values.detached)
  setInterval(() => {
    if (process.ppid !== launcher) shutdown();
  }, 1000).unref();
process.on('SIGINT', shutdown);
process.on('SIGUSR2', () => {
  const ts = handle.addNode({ delayMs: Number(values['add-node-delay-ms']) });
  process.stderr.write(`added node: new generation at ${new Date(ts).toISOString()}\n`);
});
