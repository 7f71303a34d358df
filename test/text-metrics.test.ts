/**
 * The chart text metrics: the table in src/render/fonts/dejavu-metrics.json must be what the
 * vendored font files say (regenerate with `npm run fonts`), and measuring through the table
 * must give the same widths as measuring on the parsed fonts, kerning included.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { approxTextWidth, fontMetricsTableFile, type FontMetricsTable } from '../src/render/font-table.js';
import { buildFontMetricsTable, fontTextWidth, measureTextWidth } from '../src/render/text-metrics.js';

const committed = JSON.parse(readFileSync(fontMetricsTableFile(), 'utf8')) as FontMetricsTable;

test('the committed metrics table is what the font files give (npm run fonts rewrites it)', () => {
  const built = buildFontMetricsTable();
  assert.deepEqual(committed, built);
  // It covers Latin text and holds real kerning (DejaVu kerns "AV" and "To").
  assert.equal(Object.keys(built.regular.advances).length > 400, true);
  assert.ok(built.regular.kerning['AV']! < 0 && built.bold.kerning['To']! < 0);
});

test('widths through the table equal widths on the parsed fonts, kerning included', () => {
  const texts = ['tier-mix penalty (before λ)', 'χ² 0.12 → 0.03', 'Subset − full', 'tier’s … ≥1', 'frequent', 'AVAVAVAV', 'Tokyo (Japan)', 'crème_brûlée', 'Łódź · 12.5%', 'rare: 337', 'Year', ' '];
  for (const bold of [false, true]) {
    for (const size of [9, 11, 13.5]) {
      for (const text of texts) {
        const viaTable = measureTextWidth(text, size, bold);
        assert.ok(Math.abs(viaTable - fontTextWidth(text, size, bold)) < 1e-9, `${text} at ${size}px bold=${bold}`);
      }
    }
  }
  // Kerning shortens "AV" below the sum of its advances.
  assert.ok(measureTextWidth('AV', 40) < measureTextWidth('A', 40) + measureTextWidth('V', 40) - 1);
});

test('text with a character outside the table is measured on the font itself', () => {
  for (const text of ['∑ ratio', 'share ★ 0', '中文']) {
    assert.equal(measureTextWidth(text, 12), fontTextWidth(text, 12));
  }
  // The table-only measure counts such a character as an average Latin letter (0.62 em).
  assert.ok(fontTextWidth('∑', 1000) !== approxTextWidth('∑', 1000));
  assert.equal(approxTextWidth('∑', 1000), 620);
});

test('the table-only measure (used by the run report) equals the exact one on table text', () => {
  for (const text of ['load', 'sample · ran · 1.2 s', 'plot-tiers']) {
    assert.ok(Math.abs(approxTextWidth(text, 11) - measureTextWidth(text, 11)) < 1e-9);
    assert.ok(Math.abs(approxTextWidth(text, 13, true) - measureTextWidth(text, 13, true)) < 1e-9);
  }
});
