/**
 * Terminal reporter (`--log-format pretty`, the default on a TTY): a live status line redrawn
 * in place on a timer (4×/s), so it keeps moving through long rate-limit waits and breaker
 * pauses — units, rows and rows/s, workers in flight, failures, retries, ETA, and what the run
 * is waiting for ("waiting 12 s for tushare stk_mins quota", "tushare circuit open, probe in
 * 4 s", "ClickHouse unreachable, retrying"). The terminal width is read at every redraw, so the
 * line follows resizes. Warnings, failures and the summary are printed above it as lines.
 * Colour only on request (never with NO_COLOR; the CLI decides).
 */
import type { PipelineEvent, Reporter } from '../pipeline/events.js';
import { formatCount, formatDuration } from './format.js';
import { describeEvent } from './plain-reporter.js';

/** Where the live line goes. `columns` is read at each redraw (a getter follows resizes). */
export interface ProgressStream {
  write(s: string): unknown;
  readonly columns?: number;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  now?: () => number;
  /** Runs `fn` every `ms` until the returned function is called (default: unref'd setInterval). */
  every?(ms: number, fn: () => void): () => void;
  /** ANSI colours (default false; pass false when NO_COLOR is set). */
  color?: boolean;
  /** Redraw period, ms (default 250). */
  redrawMs?: number;
}

/** The progress reporter, plus conditions other observers report (store trouble). */
export interface ProgressReporter extends Reporter {
  /** Shows `text` on the live line under `key` until cleared with `undefined`. */
  setCondition(key: string, text: string | undefined): void;
}

const defaultEvery = (ms: number, fn: () => void): (() => void) => {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
};

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';
/** Window for rows/s, ms. */
const RATE_WINDOW_MS = 5_000;

/** Creates the live progress reporter on a TTY stream. */
export function createProgressReporter(
  stream: ProgressStream,
  optionsOrNow: ProgressOptions | (() => number) = {},
): ProgressReporter {
  const options: ProgressOptions = typeof optionsOrNow === 'function' ? { now: optionsOrNow } : optionsOrNow;
  const now = options.now ?? Date.now;
  const every = options.every ?? defaultEvery;
  const color = options.color === true;
  let started = now();
  let lastDraw = Number.NEGATIVE_INFINITY;
  let stopTimer: (() => void) | undefined;
  const s = { done: 0, total: 0, rows: 0, workers: 0, inFlight: 0, failed: 0, retries: 0 };
  const rowSamples: Array<[number, number]> = [];
  const waits = new Map<string, { until: number; text: string }>();
  const breakers = new Map<string, { state: string; until?: number }>();
  const conditions = new Map<string, string>();

  const clear = () => stream.write('\r\x1b[2K');

  function rowsPerSecond(t: number): number | undefined {
    while (rowSamples.length > 1 && (rowSamples[0] as [number, number])[0] < t - RATE_WINDOW_MS)
      rowSamples.shift();
    const first = rowSamples[0];
    if (!first || t - first[0] < 500) return undefined;
    return ((s.rows - first[1]) * 1000) / (t - first[0]);
  }

  /** The segments of the live line: text and an optional colour. */
  function segments(t: number): Array<[string, string?]> {
    const width = 24;
    const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 1;
    const filled = Math.round(frac * width);
    const elapsed = t - started;
    const eta = s.done > 0 && frac < 1 ? formatDuration((elapsed / s.done) * (s.total - s.done)) : '-';
    const rate = rowsPerSecond(t);
    const head: Array<[string, string?]> = [
      [`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(frac * 100)}% `],
      [`${formatCount(s.done)}/${formatCount(s.total)} units`],
      [` · ${formatCount(s.rows)} rows${rate !== undefined ? ` (${formatCount(Math.round(rate))}/s)` : ''}`],
    ];
    // What the run waits for comes right after the counts: on a narrow terminal it is what
    // explains a line that stopped moving.
    const waiting: Array<[string, string?]> = [];
    for (const [key, w] of waits) {
      if (w.until <= t) waits.delete(key);
    }
    const longest = [...waits.values()].sort((a, b) => b.until - a.until)[0];
    if (longest)
      waiting.push([` · waiting ${formatDuration(longest.until - t)} for ${longest.text}`, YELLOW]);
    for (const [provider, b] of breakers) {
      if (b.state === 'open') {
        const left = b.until !== undefined ? b.until - t : 0;
        waiting.push([
          ` · ${provider} circuit open${left > 0 ? `, probe in ${formatDuration(left)}` : ''}`,
          RED,
        ]);
      } else if (b.state === 'half-open')
        waiting.push([` · ${provider} circuit half-open (probing)`, YELLOW]);
    }
    for (const c of conditions.values()) waiting.push([` · ${c}`, YELLOW]);
    const tail: Array<[string, string?]> = [
      [` · ${s.inFlight > 0 ? `${s.inFlight}/` : ''}${s.workers} workers`],
      [` · ${s.failed} failed`, s.failed > 0 ? RED : undefined],
    ];
    if (s.retries > 0) tail.push([` · ${formatCount(s.retries)} retries`]);
    tail.push([` · ETA ${eta}`]);
    const out = [...head, ...waiting, ...tail];
    return out;
  }

  function draw(force = false): void {
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    // 0 columns (a pty without a size) means unknown, like undefined.
    const max = Math.max(20, (stream.columns || 120) - 1);
    let used = 0;
    let line = '';
    for (const [text, c] of segments(t)) {
      const room = max - used;
      if (room <= 0) break;
      const piece = text.length > room ? text.slice(0, room) : text;
      used += piece.length;
      line += color && c ? `${c}${piece}${RESET}` : piece;
    }
    clear();
    stream.write(line);
  }

  function print(text: string): void {
    clear();
    stream.write(`${text}\n`);
    draw(true);
  }

  function stop(): void {
    stopTimer?.();
    stopTimer = undefined;
  }

  return {
    setCondition(key, text) {
      if (text === undefined) conditions.delete(key);
      else conditions.set(key, text);
    },
    onEvent(e: PipelineEvent) {
      switch (e.type) {
        case 'run:started':
          started = now();
          s.total = e.units;
          s.workers = typeof e.workers === 'number' ? e.workers : 1;
          rowSamples.length = 0;
          rowSamples.push([started, 0]);
          print(describeEvent(e) ?? '');
          stop();
          stopTimer = every(options.redrawMs ?? 250, () => draw(true));
          return;
        case 'progress':
          s.done = e.unitsDone;
          s.total = e.unitsTotal;
          s.rows = e.rowsWritten;
          s.inFlight = e.inFlight;
          if (e.workers) s.workers = e.workers;
          rowSamples.push([now(), e.rowsWritten]);
          draw();
          return;
        case 'workers:changed':
          s.workers = e.workers;
          return;
        case 'unit:retrying':
          s.retries++;
          return;
        case 'unit:failed':
          s.failed++;
          print(describeEvent(e) ?? '');
          return;
        case 'rate-limit:waiting':
          waits.set(`${e.provider}|${e.endpoint}`, {
            until: now() + e.waitMs,
            text: `${e.provider} ${e.endpoint} quota`,
          });
          draw(true);
          return;
        case 'circuit:changed':
          breakers.set(e.provider, {
            state: e.state,
            ...(e.pauseMs !== undefined ? { until: now() + e.pauseMs } : {}),
          });
          if (e.state === 'open') print(describeEvent(e) ?? '');
          else draw(true);
          return;
        case 'store:waiting':
          conditions.set('store', `waiting for ${e.store}: ${e.reason}`);
          print(describeEvent(e) ?? '');
          return;
        case 'store:recovered':
        case 'store:unavailable':
          conditions.delete('store');
          print(describeEvent(e) ?? '');
          return;
        case 'run:finished':
          stop();
          waits.clear();
          breakers.clear();
          conditions.clear();
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
    close() {
      stop();
    },
  };
}
