/**
 * Terminal reporter (`--log-format pretty`, the default on a TTY): a live progress line
 * (units, rows, workers, failures, rate-limit waits, ETA) redrawn in place; warnings, failures
 * and the final summary are printed above it as normal lines.
 */
import type { PipelineEvent, Reporter } from '../pipeline/events.js';
import { formatCount, formatDuration } from './format.js';
import { describeEvent } from './plain-reporter.js';

/** Creates the live progress reporter on a TTY stream. */
export function createProgressReporter(
  stream: { write(s: string): unknown; columns?: number },
  now: () => number = Date.now,
): Reporter {
  let started = now();
  let lastDraw = 0;
  let status = { done: 0, total: 0, rows: 0, workers: 0, failed: 0, waiting: '' };
  let storeWaiting = false;
  const clear = () => stream.write('\r\x1b[2K');
  const draw = (force = false) => {
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    const width = 24;
    const frac = status.total > 0 ? status.done / status.total : 1;
    const filled = Math.round(frac * width);
    const elapsed = t - started;
    const eta =
      status.done > 0 && frac < 1
        ? formatDuration((elapsed / status.done) * (status.total - status.done))
        : '-';
    const line =
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(frac * 100)}% ` +
      `${formatCount(status.done)}/${formatCount(status.total)} units · ${formatCount(status.rows)} rows · ` +
      `${status.workers} workers · ${status.failed} failed · ETA ${eta}${status.waiting ? ` · ${status.waiting}` : ''}`;
    clear();
    stream.write(line.slice(0, Math.max(20, (stream.columns ?? 120) - 1)));
  };
  const print = (text: string) => {
    clear();
    stream.write(`${text}\n`);
    draw(true);
  };
  return {
    onEvent(e: PipelineEvent) {
      switch (e.type) {
        case 'run:started':
          started = now();
          status = { ...status, total: e.units, workers: typeof e.workers === 'number' ? e.workers : 1 };
          print(describeEvent(e) ?? '');
          return;
        case 'progress':
          status = {
            ...status,
            done: e.unitsDone,
            total: e.unitsTotal,
            rows: e.rowsWritten,
            workers: e.workers || status.workers,
          };
          draw();
          return;
        case 'unit:failed':
          status.failed++;
          print(describeEvent(e) ?? '');
          return;
        case 'rate-limit:waiting':
          status.waiting = `waiting ${formatDuration(e.waitMs)} for ${e.provider} ${e.endpoint}`;
          draw(true);
          return;
        case 'unit:succeeded':
          if (!storeWaiting) status.waiting = '';
          return;
        case 'store:waiting':
          storeWaiting = true;
          status.waiting = `waiting for ${e.store}`;
          print(describeEvent(e) ?? '');
          return;
        case 'store:recovered':
        case 'store:unavailable':
          storeWaiting = false;
          status.waiting = '';
          print(describeEvent(e) ?? '');
          return;
        case 'run:finished':
          draw(true);
          stream.write('\n');
          print(describeEvent(e) ?? '');
          clear();
          return;
        case 'run:warning':
        case 'run:interrupting':
        case 'provider:key-disabled':
        case 'rate-limit:learned':
        case 'unit:fallback':
          print(describeEvent(e) ?? '');
          return;
        default:
          return;
      }
    },
  };
}
