/**
 * Every configuration variable is set by at least one test (as an environment key, `NAME: …` or
 * `NAME=…`, or as the parsed setting a client is built from, `camelName: …`), so a variable the code stopped reading shows as some test's failure: a variable no
 * test sets could be ignored by the code and every test would still pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sinkVars } from '../../../src/config/sink-config.js';
import { sourceVars } from '../../../src/config/source-config.js';
import type { SpecTable } from '../../../src/config/spec.js';
import { toolsVars } from '../../../src/config/tools-config.js';

const TEST_DIR = fileURLToPath(new URL('../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : /\.ts$/.test(e.name) && p !== SELF ? [p] : [];
  });
}

/** Every variable of the three configurations: its name, its setting's name, whether it may come from `<NAME>_FILE`. */
function configVars(): { env: string; key: string; secret: boolean }[] {
  const all = new Map<string, { env: string; key: string; secret: boolean }>();
  for (const table of [sourceVars, sinkVars, toolsVars] as SpecTable[])
    for (const [key, spec] of Object.entries(table)) all.set(spec.env, { env: spec.env, key, secret: spec.secret === true });
  return [...all.values()].sort((a, b) => a.env.localeCompare(b.env));
}

describe('configuration variables', () => {
  it('each is set by some test', () => {
    const sources = testFiles(TEST_DIR).map((f) => ({ file: relative(TEST_DIR, f), text: readFileSync(f, 'utf8') }));
    const setBy = (name: string) => sources.filter((s) => new RegExp(`\\b${name}(: |=)`).test(s.text)).map((s) => s.file);
    const unset = configVars()
      .filter((v) => [v.env, v.key, ...(v.secret ? [`${v.env}_FILE`] : [])].every((name) => setBy(name).length === 0))
      .map((v) => v.env);
    expect(unset).toEqual([]);
  });
});
