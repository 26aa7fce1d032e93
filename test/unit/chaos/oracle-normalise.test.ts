/** The chaos oracle's own normaliser: equal values compare equal across drivers, different ones never. */
import { describe, expect, it } from 'vitest';
import { normalise } from '../../../test/chaos/oracle.js';

describe('chaos oracle normalise', () => {
  it('treats sets as unordered and lists as ordered', () => {
    expect(normalise('set', ['b', 'a'])).toBe(normalise('set', ['a', 'b']));
    expect(normalise('list', [2, 1])).not.toBe(normalise('list', [1, 2]));
  });

  it('an empty collection is no value (ScyllaDB keeps no cell for it)', () => {
    expect(normalise('set', [])).toBe('null');
    expect(normalise('map', {})).toBe('null');
    expect(normalise('list', null)).toBe('null');
  });

  it('compares maps by entries, whatever their order or container', () => {
    expect(normalise('map', { b: 2, a: 1 })).toBe(
      normalise(
        'map',
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    );
    expect(normalise('map', { a: 1 })).not.toBe(normalise('map', { a: 2 }));
  });

  it('compares 64-bit integers as text (a driver Long and a pg string)', () => {
    const long = { toString: () => '9007199254740993' };
    expect(normalise('bigint', long)).toBe(normalise('bigint', '9007199254740993'));
    expect(normalise('bigint', '1')).not.toBe(normalise('bigint', '2'));
  });

  it('keeps a value and null apart, and text exact', () => {
    expect(normalise('scalar', null)).not.toBe(normalise('scalar', ''));
    expect(normalise('scalar', 'a b')).not.toBe(normalise('scalar', 'a  b'));
  });
});
