// Runs on `npm install` / `npm ci` (package.json "postinstall"): fixes kafkajs 2.2.4's read_committed
// filter of aborted transactions (node_modules/kafkajs/src/consumer/filterAbortedMessages.js).
//
// The bug: for each message it activates at most ONE aborted transaction whose first offset it has
// passed (`if` instead of `while`). When two aborted transactions start before the next message —
// e.g. two transactional producers of a killed source, both aborted when their successors fenced
// them — records of the second leak to a read_committed consumer. Our source's kill -9 test saw
// those leaked records as duplicates about one run in three; with this fix, none. kafkajs is
// unmaintained (last release 2023), so the fix is applied here, idempotently, and a unit test
// (test/unit/kafka/filter-aborted-messages.test.ts) fails if it is missing.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let file;
try {
  file = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
} catch {
  process.exit(0); // kafkajs not installed (e.g. a partial install): nothing to patch
}
const BUGGY = `    if (
      remainingAbortedTransactions.length &&
      Long.fromValue(message.offset).gte(remainingAbortedTransactions[0].firstOffset)
    ) {`;
const FIXED = `    while (
      remainingAbortedTransactions.length &&
      Long.fromValue(message.offset).gte(remainingAbortedTransactions[0].firstOffset)
    ) {`;
const src = readFileSync(file, 'utf8');
if (src.includes(FIXED)) process.exit(0);
if (!src.includes(BUGGY)) {
  console.error(`patch-kafkajs: ${file} does not look like kafkajs 2.2.4's; review the read_committed fix for this version`);
  process.exit(1);
}
writeFileSync(file, src.replace(BUGGY, FIXED));
console.log('patch-kafkajs: read_committed aborted-transaction filter fixed');
