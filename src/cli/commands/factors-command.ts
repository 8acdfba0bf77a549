/**
 * `tickpipe factors`: the factor list with definitions (the same table as the README).
 */
import { FACTOR_DEFINITIONS } from '../../factors/factor-definitions.js';
import { renderFactorTableMarkdown } from '../../factors/render-factor-table-markdown.js';
import type { CliIo } from '../cli-io.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { IngestError } from '../../errors.js';

/** Runs `tickpipe factors`. */
export function factorsCommand(flags: { format?: string }, io: CliIo): ExitCode {
  const format = flags.format ?? 'table';
  if (format === 'json') io.stdout(JSON.stringify(FACTOR_DEFINITIONS, null, 2));
  else if (format === 'markdown') io.stdout(renderFactorTableMarkdown());
  else if (format === 'table') {
    for (const f of FACTOR_DEFINITIONS) {
      io.stdout(`${f.name} (${f.granularity}; inputs: ${f.inputs.join(' | ')}; ${f.units})`);
      io.stdout(`  ${f.formula}`);
      io.stdout(`  window: ${f.window}; warm-up: ${f.warmUp}`);
    }
  } else throw new IngestError('USAGE', `--format: expected table, json or markdown, found "${format}"`);
  return EXIT.OK;
}
