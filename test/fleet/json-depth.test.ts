/**
 * The nesting bound `serve` checks before parsing a request body (core/fleet/json-depth.ts),
 * against the depth of the value itself, for any JSON (brackets and escapes inside strings too).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nestsWithin } from '../../core/fleet/json-depth.js';

const depthOf = (value: unknown): number =>
  Array.isArray(value) ? 1 + Math.max(0, ...value.map(depthOf)) : typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;

describe('nestsWithin', () => {
  it('agrees with the depth of the parsed value, for any JSON text', () => {
    const text = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', 'é', ' ') });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: text.map((s) => s.slice(0, 1) || 'a') }), fc.integer({ min: 0, max: 8 }), (value, limit) => {
        const bytes = Buffer.from(JSON.stringify(value), 'utf8');
        expect(nestsWithin(bytes, limit)).toBe(depthOf(value) <= limit);
      }),
      { numRuns: 1000 },
    );
  });

  it('stops at the first level too deep', () => {
    expect(nestsWithin(Buffer.from('['.repeat(500_000) + ']'.repeat(500_000)), 8)).toBe(false);
    expect(nestsWithin(Buffer.from('{"a":"[[[[[[[[[[[[\\\\"}'), 1)).toBe(true);
    expect(nestsWithin(Buffer.from('{"a":"\\"[[[[[[[[[["}'), 1)).toBe(true);
  });
});
