/**
 * Milliseconds since the epoch of an ISO 8601 date-time: exactly what `Date.parse` returns. The shapes
 * capture meets on every event (`2025-01-03T10:00:23.439Z`, without the fraction, or with a `+08:00` offset)
 * are read here field by field; anything else, and any value near a rollover (days past the 28th, years before
 * 1000), goes to `Date.parse` itself. `Date.parse` was about a tenth of the decider's own time on the bulk
 * import (measured), a cost this path does not have.
 */
export function isoTimeMs(text: string): number {
  const n = text.length;
  if (
    (n === 20 || n === 24 || n === 25 || n === 29) &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58
  ) {
    const year = digitsAt(text, 0, 4);
    const month = digitsAt(text, 5, 2);
    const day = digitsAt(text, 8, 2);
    const hour = digitsAt(text, 11, 2);
    const minute = digitsAt(text, 14, 2);
    const second = digitsAt(text, 17, 2);
    let at = 19;
    let ms = 0;
    if (text.charCodeAt(19) === 46) {
      // .
      ms = digitsAt(text, 20, 3);
      at = 23;
    }
    let offsetMinutes = Number.NaN;
    const zone = text.charCodeAt(at);
    if (zone === 90 && n === at + 1) {
      // Z
      offsetMinutes = 0;
    } else if ((zone === 43 || zone === 45) && n === at + 6 && text.charCodeAt(at + 3) === 58) {
      const hours = digitsAt(text, at + 1, 2);
      const minutes = digitsAt(text, at + 4, 2);
      if (hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59) {
        offsetMinutes = (zone === 43 ? 1 : -1) * (hours * 60 + minutes);
      }
    }
    if (
      !Number.isNaN(offsetMinutes) &&
      year >= 1000 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 28 &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59 &&
      ms >= 0
    ) {
      return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
    }
  }
  return Date.parse(text);
}

/** The decimal number written by `count` ASCII digits at `from`, or -1 if any is not a digit. */
export function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}
