/**
 * PNG output: every chart rasterizes to a PNG that decodes, at round(SVG size × scale), with
 * ink on it, identically on every render (the cache stores these bytes); and the text metrics
 * Vega lays out with match the width resvg draws the vendored font at.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { renderSvg, svgToPng, svgToPngAsync } from '../src/render/chart.js';
import { readFileSync } from 'node:fs';
import opentype from 'opentype.js';
import { chartFontFiles } from '../src/render/fonts.js';
import { measureTextWidth } from '../src/render/text-metrics.js';
import { SAMPLE_SIZE_SHARES, SAMPLE_SPLITS } from './helpers/chart-input.js';
import { buildCharts, type ObjectivePoint } from '../src/lvis/plots/index.js';

const trace: ObjectivePoint[] = Array.from({ length: 60 }, (_, i) => ({ iteration: i + 1, phase: i < 50 ? 'greedy' : 'refine', values: { objective: 1 / (i + 1) } }));

const charts = buildCharts({
  splits: SAMPLE_SPLITS,
  keyShares: [
    { categoryId: 1, categoryName: 'a', tier: 'f', size: 'S', fullShare: 0.5, subsetShare: 0.45 },
    { categoryId: 2, categoryName: 'b', tier: 'c', size: 'M', fullShare: 0.3, subsetShare: 0.35 },
    { categoryId: 3, categoryName: 'c', tier: 'r', size: 'L', fullShare: 0.2, subsetShare: 0.2 },
  ],
  sizeShares: SAMPLE_SIZE_SHARES,
  objective: trace,
  rareQuotas: [{ categoryId: 3, categoryName: 'c', quota: 1, used: 1, images: 2 }],
});

function inkFraction(png: PNG): number {
  let ink = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! < 200 || png.data[i + 1]! < 200 || png.data[i + 2]! < 200) ink++;
  return ink / (png.width * png.height);
}

test('every chart becomes a decodable PNG of round(SVG size × scale), with ink on it', async () => {
  assert.equal(charts.length, 5);
  for (const chart of charts) {
    const { svg, width, height } = await renderSvg(chart.spec);
    for (const scale of [1, 1.5, 2]) {
      const out = svgToPng(svg, scale);
      const png = PNG.sync.read(out.png);
      assert.equal(png.width, Math.round(width * scale), `${chart.id} @${scale}`);
      assert.equal(png.height, Math.round(height * scale), `${chart.id} @${scale}`);
      assert.equal(out.width, png.width);
      assert.equal(out.height, png.height);
      const ink = inkFraction(png);
      assert.ok(ink > 0.01 && ink < 0.8, `${chart.id}: ${(ink * 100).toFixed(1)}% ink`);
    }
  }
});

test('rendering is deterministic: the same chart gives the same SVG and PNG bytes', async () => {
  for (const chart of charts) {
    const a = await renderSvg(chart.spec);
    const b = await renderSvg(structuredClone(chart.spec));
    assert.ok(a.svg === b.svg, `${chart.id}: SVG differs between two renders`);
    assert.ok(svgToPng(a.svg, 2).png.equals(svgToPng(b.svg, 2).png), chart.id);
    // Rasterized in the thread pool (what the plot steps do): the same bytes.
    assert.ok((await svgToPngAsync(a.svg, 2)).png.equals(svgToPng(a.svg, 2).png), `${chart.id}: async PNG differs`);
  }
});

test('Vega lays text out at the width resvg draws it with the vendored font', () => {
  const cases = [
    ['Frequency tiers: train vs val', 20, true],
    ['Share of annotations in the subset', 16, false],
    ['AVAVAVAV To Wa', 40, false], // kerned pairs
  ] as const;
  for (const [text, size, bold] of cases) {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="60"><rect width="800" height="60" fill="white"/>` +
      `<text x="10" y="40" font-family="DejaVu Sans" font-size="${size}"${bold ? ' font-weight="bold"' : ''}>${text}</text></svg>`;
    const png = PNG.sync.read(svgToPng(svg, 1).png);
    let left = Infinity;
    let right = -Infinity;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        if (png.data[(y * png.width + x) * 4]! < 128) {
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    const measured = measureTextWidth(text, size, bold);
    // Ink spans the advance width less the side bearings of the first and last glyphs.
    const bytes = readFileSync(bold ? chartFontFiles().bold : chartFontFiles().regular);
    const font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const first = font.charToGlyph(text[0]!) as unknown as { leftSideBearing: number };
    const last = font.charToGlyph(text[text.length - 1]!) as unknown as { advanceWidth: number; xMax: number };
    const bearings = ((first.leftSideBearing + last.advanceWidth - last.xMax) * size) / font.unitsPerEm;
    const ink = right + 1 - left;
    assert.ok(Math.abs(ink - (measured - bearings)) < 1.5, `${text}: ink ${ink}px, measured ${measured.toFixed(1)}px less ${bearings.toFixed(1)}px of bearings`);
  }
  // And not Vega's fallback guess of 0.8 em per character.
  assert.ok(measureTextWidth('frequent', 11) < 0.8 * 11 * 8 * 0.8);
});

test('a PNG scale outside (0, 8] is refused', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>';
  assert.throws(() => svgToPng(svg, 0), RangeError);
  assert.throws(() => svgToPng(svg, 9), RangeError);
  assert.throws(() => svgToPng(svg, Number.NaN), RangeError);
});

test('text from data that XML cannot hold (control characters, a lone surrogate, U+FFFF) is drawn escaped, never breaks the SVG or the PNG', async () => {
  // Valid JSON category names: "\u0007", "\u001b[2J", a lone "\ud800", "\uffff".
  const names = ['bell\u0007', 'clear\u001b[2J', 'half\ud800', 'non\uffff'];
  const hostile = buildCharts({
    splits: SAMPLE_SPLITS.map((s, i) => ({ ...s, name: `${s.name}\u0000${i}` })),
    keyShares: names.map((n, i) => ({ categoryId: i + 1, categoryName: n, tier: 'r' as const, size: 'S' as const, fullShare: 0.25, subsetShare: 0.2 + i * 0.01 })),
    sizeShares: SAMPLE_SIZE_SHARES,
    objective: trace,
    rareQuotas: names.map((n, i) => ({ categoryId: i + 1, categoryName: n, quota: 1 + (i % 2), used: i % 3, images: 3 })),
  });
  // XML 1.0's Char production: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and up.
  // eslint-disable-next-line no-control-regex
  const notXml = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  for (const chart of hostile) {
    const { svg, width, height } = await renderSvg(chart.spec);
    assert.doesNotMatch(svg, notXml, chart.id);
    const png = PNG.sync.read(svgToPng(svg, 1).png);
    assert.equal(png.width, Math.round(width), chart.id);
    assert.equal(png.height, Math.round(height), chart.id);
  }
  const rare = await renderSvg(hostile.find((c) => c.id === 'rare-quotas')!.spec);
  assert.ok(rare.svg.includes('bell\\x07') && rare.svg.includes('clear\\x1b[2J') && rare.svg.includes('half\\ud800') && rare.svg.includes('non\\uffff'), 'the names are drawn with their escapes');
  const tiers = await renderSvg(hostile.find((c) => c.id === 'tier-bars')!.spec);
  assert.ok(tiers.svg.includes(`${SAMPLE_SPLITS[0]!.name}\\x000`), 'a split name too');
});
