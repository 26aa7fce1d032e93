/** The README's configuration table is generated from the config tables; this keeps it true. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable } from '../../../scripts/config-table.js';

describe('README configuration table', () => {
  it('matches the config tables (run `npm run docs:config` after adding a variable)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /<!-- config-table:start[^>]*-->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
    expect(block).toBe(configTable());
  });
});
