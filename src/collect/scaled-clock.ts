/**
 * A clock that runs faster than the wall clock from a chosen instant, for end-to-end tests of
 * `tickpipe collect` through a whole session in seconds. Enabled only by the test knob
 * `TICKPIPE_COLLECT_CLOCK=<ISO instant>@<wall-clock anchor, epoch ms>x<speed>`: virtual time is
 * `instant + (Date.now() − anchor) × speed`. Two processes given the same value (the CLI and an
 * emulator) read the same virtual time.
 */
import { IngestError } from '../errors.js';
import { systemClock, type Clock } from '../limits/clock.js';

/** Parameters of {@link createScaledClock}. */
export interface ScaledClockParams {
  virtualStartMs: number;
  anchorMs: number;
  speed: number;
}

/** Creates the scaled clock. */
export function createScaledClock(p: ScaledClockParams): Clock {
  return {
    now: () => Math.round(p.virtualStartMs + (Date.now() - p.anchorMs) * p.speed),
    sleep: (ms, signal) => systemClock.sleep(ms / p.speed, signal),
  };
}

/** Parses the knob's value; throws `USAGE` naming it when malformed. */
export function parseScaledClock(value: string): ScaledClockParams {
  const m = /^(.+)@(\d+)x(\d+(?:\.\d+)?)$/.exec(value.trim());
  const virtualStartMs = m ? Date.parse(m[1] as string) : NaN;
  const speed = m ? Number(m[3]) : NaN;
  if (m === null || !Number.isFinite(virtualStartMs) || !(speed > 0)) {
    throw new IngestError(
      'USAGE',
      `TICKPIPE_COLLECT_CLOCK: expected <ISO instant>@<anchor epoch ms>x<speed>, found "${value}"`,
    );
  }
  return { virtualStartMs, anchorMs: Number(m[2]), speed };
}
