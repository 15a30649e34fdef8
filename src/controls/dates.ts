import { Problem } from '../core/errors.js';

/**
 * Calendar dates as `YYYY-MM-DD` strings. Rules take effect on a day and are suspended "until" a day, both
 * inclusive; comparing ISO dates as strings is exact and needs no clock or time zone, which keeps the engine
 * free of Date.now (answers are asked "as of" a date the caller passes in).
 */
export type IsoDate = string;

/** The range of dates the engine answers for; outside it a request is refused rather than guessed at. */
export const earliestAsOf: IsoDate = '2000-01-01';
export const latestAsOf: IsoDate = '2099-12-31';

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: unknown): value is IsoDate {
  if (typeof value !== 'string') return false;
  const match = datePattern.exec(value);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Checks an "as of" date from a caller: a real calendar date inside the answered range. */
export function parseAsOf(value: unknown, field = '/asOf'): IsoDate {
  if (!isIsoDate(value)) {
    throw new Problem(
      'bad-request',
      `${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(value)}`,
      [{ field, message: 'not a YYYY-MM-DD calendar date' }],
    );
  }
  if (value < earliestAsOf || value > latestAsOf) {
    throw new Problem(
      'bad-request',
      `${field} ${value} is outside the answered range ${earliestAsOf}..${latestAsOf}`,
      [{ field, message: 'date out of range' }],
    );
  }
  return value;
}

/** Adds days to a date (UTC arithmetic on a calendar date; no clock involved). */
export function addDays(date: IsoDate, days: number): IsoDate {
  const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  return new Date(ms + days * 86_400_000).toISOString().slice(0, 10);
}

/** Adds whole years, clamping 29 Feb to 28 Feb. */
export function addYears(date: IsoDate, years: number): IsoDate {
  const year = Number(date.slice(0, 4)) + years;
  const month = Number(date.slice(5, 7));
  const day = Math.min(Number(date.slice(8, 10)), daysInMonth(year, month));
  return `${String(year).padStart(4, '0')}-${date.slice(5, 7)}-${String(day).padStart(2, '0')}`;
}

/** The calendar date (UTC) of a millisecond timestamp, as the ledger records event times. */
export function dateOfMs(ms: number): IsoDate {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Milliseconds at 00:00 UTC of a date. */
export function msOfDate(date: IsoDate): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}
