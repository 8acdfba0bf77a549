import { FACTOR_DEFINITIONS, type FactorDefinition } from './factor-definitions.js';

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The factor catalogue as a GitHub-flavoured markdown table (for the README and `tickpipe factors`). */
export function renderFactorTableMarkdown(
  definitions: readonly FactorDefinition[] = FACTOR_DEFINITIONS,
): string {
  const header = [
    'Factor',
    'Granularity',
    'Formula',
    'Inputs (any of)',
    'Units',
    'Window',
    'Warm-up / needs',
    'Description',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const d of definitions) {
    const row = [
      `\`${d.name}\``,
      d.granularity,
      d.formula,
      d.inputs.map((i) => `\`${i}\``).join(', '),
      d.units,
      d.window,
      d.warmUp,
      d.description,
    ];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
