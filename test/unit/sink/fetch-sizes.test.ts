import { describe, expect, it } from 'vitest';
import { fetchSizes } from '../../../src/sink/core/fetch-sizes.js';

describe('fetch sizes from the in-flight bound', () => {
  it('gives one fetch a sixteenth of the bound and a partition a quarter of that', () => {
    expect(fetchSizes(64 * 1024 * 1024)).toEqual({ maxBytes: 4 * 1024 * 1024, maxBytesPerPartition: 1024 * 1024 });
  });
  it('stays within a useful floor and the former fixed sizes', () => {
    expect(fetchSizes(1024)).toEqual({ maxBytes: 64 * 1024, maxBytesPerPartition: 16 * 1024 });
    expect(fetchSizes(4 * 1024 * 1024 * 1024)).toEqual({ maxBytes: 10 * 1024 * 1024, maxBytesPerPartition: 2 * 1024 * 1024 });
  });
});
