/**
 * Wall-clock ↔ instant conversions in one IANA time zone, DST-aware. A clock holds one
 * `Intl.DateTimeFormat`: constructing one costs about half a millisecond, far too much per bar.
 */

/** Conversions in one zone. */
export interface ZoneClock {
  readonly timeZone: string;
  /** Offset from UTC at instant `ms`, in ms (east positive, +28 800 000 for Shanghai). */
  offsetMs(ms: number): number;
  /**
   * Epoch ms of local wall time `hhmm` (`HH:MM`) on `date` (`YYYY-MM-DD`). Wall times skipped by a
   * DST jump resolve with the offset after the jump.
   */
  wallTimeMs(date: string, hhmm: string): number;
  /** Local date `YYYY-MM-DD` of instant `ms`. */
  localDate(ms: number): string;
  /** Local wall time `HH:MM` of instant `ms`. */
  localHhmm(ms: number): string;
}

/** Creates a clock for `timeZone`; throws `RangeError` for an unknown zone. */
export function createZoneClock(timeZone: string): ZoneClock {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const offsetMs = (ms: number): number => {
    const parts = format.formatToParts(new Date(ms));
    const get = (type: Intl.DateTimeFormatPartTypes) =>
      Number(parts.find((p) => p.type === type)?.value ?? 0);
    const asUtc = Date.UTC(
      get('year'),
      get('month') - 1,
      get('day'),
      get('hour'),
      get('minute'),
      get('second'),
    );
    return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
  };
  const shifted = (ms: number) => new Date(ms + offsetMs(ms)).toISOString();
  return {
    timeZone,
    offsetMs,
    wallTimeMs(date, hhmm) {
      const naive = Date.parse(`${date}T${hhmm}:00Z`);
      // Two passes: near a DST switch the offset at the first guess may differ from the offset at the answer.
      const guess = naive - offsetMs(naive);
      return naive - offsetMs(guess);
    },
    localDate: (ms) => shifted(ms).slice(0, 10),
    localHhmm: (ms) => shifted(ms).slice(11, 16),
  };
}
