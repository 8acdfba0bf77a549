/**
 * NDJSON reporter (`--log-format json`): one JSON object per event, with a `time` field.
 * Progress events are throttled to one per second.
 */
import type { Reporter } from '../pipeline/events.js';

/** Creates the NDJSON reporter. */
export function createJsonReporter(write: (line: string) => void, now: () => number = Date.now): Reporter {
  let lastProgress = 0;
  return {
    onEvent(e) {
      if (e.type === 'progress') {
        const t = now();
        if (t - lastProgress < 1000 && e.unitsDone < e.unitsTotal) return;
        lastProgress = t;
      }
      write(JSON.stringify({ time: new Date(now()).toISOString(), ...e }));
    },
  };
}
