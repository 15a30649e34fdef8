import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimeMs } from './iso-time.js';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

describe('isoTimeMs: Date.parse, read faster for the shapes capture meets', () => {
  it('agrees with Date.parse on date-times with and without fraction and offset, edge values included (property)', () => {
    const text = fc
      .record({
        year: fc.oneof(fc.integer({ min: 1970, max: 2100 }), fc.integer({ min: 0, max: 9999 })),
        month: fc.integer({ min: 0, max: 13 }),
        day: fc.integer({ min: 0, max: 32 }),
        hour: fc.integer({ min: 0, max: 25 }),
        minute: fc.integer({ min: 0, max: 60 }),
        second: fc.integer({ min: 0, max: 60 }),
        ms: fc.option(fc.integer({ min: 0, max: 999 })),
        zone: fc.oneof(
          fc.constant('Z'),
          fc.record({
            sign: fc.constantFrom('+', '-'),
            hours: fc.integer({ min: 0, max: 25 }),
            minutes: fc.integer({ min: 0, max: 60 }),
          }),
        ),
      })
      .map(({ year, month, day, hour, minute, second, ms, zone }) => {
        const fraction = ms === null ? '' : `.${pad(ms, 3)}`;
        const offset =
          typeof zone === 'string' ? zone : `${zone.sign}${pad(zone.hours, 2)}:${pad(zone.minutes, 2)}`;
        return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}${offset}`;
      });
    // The same with one character replaced: near misses must go where Date.parse goes too.
    const mangled = fc
      .tuple(text, fc.nat(), fc.constantFrom(...'0189-:.TZtz+ x'.split('')))
      .map(([s, at, c]) => s.slice(0, at % s.length) + c + s.slice((at % s.length) + 1));
    fc.assert(
      fc.property(fc.oneof(text, mangled, fc.string({ maxLength: 30 })), (s) => {
        expect(Object.is(isoTimeMs(s), Date.parse(s))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads the demo world’s event times', () => {
    expect(isoTimeMs('2025-01-03T10:00:23.439Z')).toBe(Date.UTC(2025, 0, 3, 10, 0, 23, 439));
    expect(isoTimeMs('2025-01-03T10:00:23.439+08:00')).toBe(Date.UTC(2025, 0, 3, 2, 0, 23, 439));
    expect(isoTimeMs('2025-01-03T10:00:23-05:30')).toBe(Date.UTC(2025, 0, 3, 15, 30, 23));
  });
});
