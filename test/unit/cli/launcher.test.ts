/**
 * bin/scylla-pg-cdc, the installed command: it must run node with NODE_FLAGS (src/cli/node-flags.ts)
 * for each command, leave a flag NODE_OPTIONS sets to it, and pass the arguments through. A fake
 * `node` first on PATH prints what it was given.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, nodeFlagsFor } from '../../../src/cli/node-flags.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/scylla-pg-cdc');
const fake = mkdtempSync(join(tmpdir(), 'fake-node-'));
writeFileSync(join(fake, 'node'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n');
chmodSync(join(fake, 'node'), 0o755);

function launch(args: string[], nodeOptions?: string): string[] {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${fake}:${process.env.PATH}` };
  if (nodeOptions === undefined) delete env.NODE_OPTIONS;
  else env.NODE_OPTIONS = nodeOptions;
  return execFileSync(BIN, args, { env, encoding: 'utf8' }).trim().split('\n');
}

describe('bin/scylla-pg-cdc', () => {
  const main = join(realpathSync(ROOT), 'dist/src/cli/main.js');
  it('is the package command', () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin['scylla-pg-cdc']).toBe('bin/scylla-pg-cdc');
  });
  it('runs each command with its flags, and the arguments as given', () => {
    expect(NODE_FLAGS.sink?.length).toBeGreaterThan(0);
    for (const cmd of ['sink', 'source', 'status']) {
      const out = launch([cmd, '--a b']);
      expect(out.slice(-3)).toEqual([expect.stringMatching(/dist\/src\/cli\/main\.js$/), cmd, '--a b']);
      expect(resolve(out.at(-3)!)).toBe(main);
      expect(out.slice(0, -3), cmd).toEqual(nodeFlagsFor(cmd));
    }
  });
  it('leaves a flag that NODE_OPTIONS sets to NODE_OPTIONS', () => {
    expect(launch(['sink'], '--max-old-space-size=192 --max-semi-space-size=16').slice(0, -2)).toEqual([]);
    expect(nodeFlagsFor('sink', '--max-semi-space-size=16')).toEqual([]);
  });
});
