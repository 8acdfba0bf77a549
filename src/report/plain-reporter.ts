/**
 * Plain reporter: one line per event, for logs and non-terminals (`--log-format plain`).
 */
import type { PipelineEvent, Reporter } from '../pipeline/events.js';
import { formatCount, formatDuration } from './format.js';

/** Renders an event as one human-readable line, or `undefined` to print nothing. */
export function describeEvent(e: PipelineEvent): string | undefined {
  switch (e.type) {
    case 'run:started':
      return (
        `Run ${e.runId}: ${formatCount(e.symbols)} symbols × ${e.tradingDays} trading day(s) × [${e.dataTypes.join(', ')}] ` +
        `via ${e.providers.join(', ')} → ${e.storage}; ${formatCount(e.units)} unit(s) in ${formatCount(e.jobs)} job(s) to do, ` +
        `${formatCount(e.skipped)} already done; workers ${e.workers}`
      );
    case 'run:warning':
      return `warning: ${e.message}`;
    case 'job:started':
      return undefined;
    case 'unit:succeeded':
      return `${e.status === 'ok' ? 'ok   ' : 'empty'} ${e.unit.dataType} ${e.unit.symbol} ${e.unit.tradeDate} via ${e.unit.provider}: ${formatCount(e.rows)} rows`;
    case 'unit:failed':
      return `${e.status === 'failed' ? 'FAILED' : 'UNSUPPORTED'} ${e.unit.dataType} ${e.unit.symbol} ${e.unit.tradeDate} via ${e.unit.provider} after ${e.attempts} attempt(s): ${e.error.message}`;
    case 'unit:retrying':
      return `retry ${e.dataType} ${e.symbol} via ${e.provider} (attempt ${e.attempt}${e.delayMs > 0 ? ` in ${formatDuration(e.delayMs)}` : ''}): ${e.error.message}`;
    case 'unit:fallback':
      return `fallback ${e.unit.dataType} ${e.unit.symbol} ${e.unit.tradeDate}: ${e.unit.provider} → ${e.to} (${e.reason})`;
    case 'rate-limit:waiting':
      return `rate limit: waiting ${formatDuration(e.waitMs)} for ${e.provider} "${e.endpoint}"${e.keyIndex ? ` (key #${e.keyIndex + 1})` : ''}`;
    case 'rate-limit:learned':
      return `rate limit: ${e.provider} "${e.endpoint}" allows ${e.limit}/min; using that from now on`;
    case 'provider:key-disabled':
      return `warning: ${e.provider} API key #${e.keyIndex + 1} disabled: ${e.reason}`;
    case 'circuit:changed':
      return e.state === 'open'
        ? `circuit breaker for ${e.provider}: open after repeated failures${e.pauseMs !== undefined ? `; pausing ${formatDuration(e.pauseMs)} before a probe` : ''}`
        : `circuit breaker for ${e.provider}: ${e.state}`;
    case 'store:waiting':
      return `waiting for ${e.store}: it does not answer (${e.reason}); new work paused, writes retry for up to ${formatDuration(e.budgetMs)}`;
    case 'store:recovered':
      return `${e.store} answers again after ${formatDuration(e.downMs)}; going on`;
    case 'store:unavailable':
      return `${e.store} still unreachable after ${formatDuration(e.downMs)} (${e.reason}): units waiting to be stored fail; re-run to resume`;
    case 'workers:changed':
      return `workers: ${e.workers}`;
    case 'progress':
      return undefined;
    case 'run:interrupting':
      return `Interrupted: letting in-flight units finish (up to ${formatDuration(e.graceMs)}); press Ctrl-C again to stop now`;
    case 'run:finished': {
      const s = e.summary;
      return (
        `Run ${s.runId} finished in ${formatDuration(s.durationMs)}: ${formatCount(s.unitsOk)} ok, ${formatCount(s.unitsEmpty)} empty, ` +
        `${formatCount(s.unitsFailed)} failed, ${formatCount(s.unitsUnsupported)} unsupported, ${formatCount(s.unitsSkipped)} skipped (already done); ` +
        `${formatCount(s.rowsWritten)} rows written`
      );
    }
  }
}

/** A line per event. */
export function createPlainReporter(write: (line: string) => void): Reporter {
  return {
    onEvent(e) {
      const line = describeEvent(e);
      if (line !== undefined) write(line);
    },
  };
}
