/**
 * `npm run fonts`: writes src/render/fonts/dejavu-metrics.json, the chart fonts' advances and
 * kerning for the characters of TABLE_RANGES (src/render/font-table.ts), from the vendored font
 * files. Run it after replacing a font or changing TABLE_RANGES; test/text-metrics.test.ts fails
 * until the table matches the fonts.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fontMetricsTableFile } from '../src/render/font-table.js';
import { buildFontMetricsTable } from '../src/render/text-metrics.js';

export function fontMetricsJson(): string {
  return `${JSON.stringify(buildFontMetricsTable())}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(fontMetricsTableFile(), fontMetricsJson());
  console.log(`wrote ${fontMetricsTableFile()}`);
}
