import { addDays } from '../../domain/dates.js';
import { YAHOO_1M_MAX_WINDOW_DAYS } from './classify-yahoo-error.js';

/**
 * Splits ascending trade dates into request windows that each cover at most `maxWindowDays`
 * calendar days (first date's midnight to the day after the last date), keeping order. Yahoo
 * serves 1-minute bars at most 7 days per request (docs/PROVIDERS.md, "Yahoo Finance chart API").
 */
export function planMinuteWindows(
  tradeDates: readonly string[],
  maxWindowDays: number = YAHOO_1M_MAX_WINDOW_DAYS,
): string[][] {
  const windows: string[][] = [];
  let current: string[] = [];
  for (const date of tradeDates) {
    const first = current[0];
    if (first !== undefined && date >= addDays(first, maxWindowDays)) {
      windows.push(current);
      current = [];
    }
    current.push(date);
  }
  if (current.length > 0) windows.push(current);
  return windows;
}
