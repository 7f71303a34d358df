/**
 * Issue 16's benchmark (part of bench/sampler.ts): density, fidelity and coverage at once, on the
 * full-scale synthetic train file, at 10,000 and 2,000 images, all rows in the same run:
 *
 * - the new default (the step's declared defaults);
 * - the original greedy: the original tool's algorithm, `mismatch: seed`, `cover: false`, pool 256;
 * - random (uniform over images with annotations);
 * - the previous default: `lambda_share: 1`, `lambda_density: 0` (no density term, and the
 *   cover phase's old order: most uncovered categories first);
 * - the original tool's objective (score_classsize) with the cover phase and the strongest
 *   search: the lowest MSE we found for a subset with every category in it.
 *
 * Then the trade-off: the new default with lambda_density 0, 1, 3, 10 (default), 30 and 100.
 * Checks, printed PASS/FAIL for each size: annotations per image within ±10% of the source's,
 * KS ≤ 0.1, JS ≤ ½ the original greedy's, MSE ≤ the original greedy's, coverage 100%.
 */
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import type { Histograms } from '../src/lvis/sampler/histograms.js';
import type { RareQuotas } from '../src/lvis/sampler/quotas.js';
import { runSampler, type SamplerOptions } from '../src/lvis/sampler/sampler.js';
import type { TargetMix } from '../src/lvis/sampler/target-mix.js';

export interface DensityRow {
  images: number;
  label: string;
  /** For the trade-off table: the λ_density of the row. */
  lambdaDensity?: number;
  seconds: number;
  metrics: Record<string, number>;
  notes: string[];
}

export interface DensityCheck {
  images: number;
  name: string;
  pass: boolean;
  detail: string;
}

export const NEW_DEFAULT = 'new default';
export const ORIGINAL = 'original greedy (mismatch seed, cover false, pool 256)';
export const PREVIOUS = 'previous default (lambda_share 1, lambda_density 0)';
export const MSE_WITH_COVER = 'the original objective with the cover (mismatch seed, cover true, pool all + 10,000 swaps)';

const CONFIGS: [string, Partial<SamplerOptions>][] = [
  [NEW_DEFAULT, {}],
  [ORIGINAL, { mismatch: 'seed', cover: false, pool: 256 }],
  ['random', { strategy: 'random' }],
  [PREVIOUS, { lambdaShare: 1, lambdaDensity: 0 }],
  // The lowest class×size MSE a covering subset reaches here: the original objective itself,
  // with the cover and the strongest search (see the MSE check).
  [MSE_WITH_COVER, { mismatch: 'seed', cover: true, pool: 'all', refineIters: 10_000 }],
];
export const TRADE_OFF = [0, 1, 3, 10, 30, 100];

export function densityRuns(
  inp: { ds: Dataset; hist: Histograms; mix: TargetMix; quotas: RareQuotas },
  sizes: number[],
  base: SamplerOptions,
  log: (line: string) => void,
): { rows: DensityRow[]; checks: DensityCheck[] } {
  const rows: DensityRow[] = [];
  const run = (images: number, label: string, over: Partial<SamplerOptions>, lambdaDensity?: number) => {
    const t = performance.now();
    const r = runSampler(inp.ds, inp.hist, inp.mix, inp.quotas, { ...base, totalImages: images, ...over });
    const row: DensityRow = {
      images, label, seconds: (performance.now() - t) / 1000, metrics: r.report.metrics, notes: r.notes,
      ...(lambdaDensity === undefined ? {} : { lambdaDensity }),
    };
    rows.push(row);
    const m = row.metrics;
    log(
      `${images} images, ${label}: ${row.seconds.toFixed(1)} s, ${m.ann_per_image!.toFixed(2)} annotations per image ` +
        `(${m.ann_per_image_ratio!.toFixed(2)}× the source's ${m.ann_per_image_source!.toFixed(2)}), KS ${m.ann_per_image_ks!.toFixed(3)}, ` +
        `JS ${m.js_divergence!.toFixed(5)}, MSE ${m.mse!.toExponential(2)}, coverage ${(100 * m.coverage!).toFixed(1)}%`,
    );
    return row;
  };
  for (const images of sizes) {
    for (const [label, over] of CONFIGS) run(images, label, over);
    for (const ld of TRADE_OFF) {
      if (ld === base.lambdaDensity) continue; // the new default's row
      run(images, `lambda_density ${ld}`, { lambdaDensity: ld }, ld);
    }
  }
  const checks: DensityCheck[] = [];
  for (const images of sizes) {
    const mine = rows.find((r) => r.images === images && r.label === NEW_DEFAULT)!.metrics;
    const orig = rows.find((r) => r.images === images && r.label === ORIGINAL)!.metrics;
    checks.push(
      {
        images, name: 'annotations per image within ±10% of the source’s',
        pass: Math.abs(mine.ann_per_image_ratio! - 1) <= 0.1, detail: `${mine.ann_per_image_ratio!.toFixed(3)}×`,
      },
      { images, name: 'KS distance ≤ 0.1', pass: mine.ann_per_image_ks! <= 0.1, detail: mine.ann_per_image_ks!.toFixed(3) },
      {
        images, name: 'JS ≤ ½ the original greedy’s',
        pass: mine.js_divergence! <= orig.js_divergence! / 2,
        detail: `${mine.js_divergence!.toFixed(5)} vs ½ · ${orig.js_divergence!.toFixed(5)} (${(mine.js_divergence! / orig.js_divergence!).toFixed(2)}×)`,
      },
      {
        images, name: 'MSE ≤ the original greedy’s',
        pass: mine.mse! <= orig.mse!,
        detail: `${mine.mse!.toExponential(2)} vs ${orig.mse!.toExponential(2)} (its coverage ${(100 * orig.coverage!).toFixed(1)}%, rare ${(100 * orig.coverage_r!).toFixed(1)}%)`,
      },
      {
        images, name: 'every category with a train image in the subset',
        pass: mine.coverage === 1,
        detail: `${mine.covered_f! + mine.covered_c! + mine.covered_r!} of ${mine.coverable_f! + mine.coverable_c! + mine.coverable_r!}`,
      },
    );
  }
  for (const c of checks) log(`${c.pass ? 'PASS' : 'FAIL'}  ${c.images} images: ${c.name}: ${c.detail}`);
  return { rows, checks };
}

export function renderDensity(rows: DensityRow[], checks: DensityCheck[], defaultLambda: number): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const mix = (m: Record<string, number>) =>
    `${pct(m.tier_share_f!)} / ${pct(m.tier_share_c!)} / ${pct(m.tier_share_r!)} (${pct(m.tier_target_f!)} / ${pct(m.tier_target_c!)} / ${pct(m.tier_target_r!)})`;
  const lines = [
    '| images | sampler | time | annotations per image (× source) | KS | JS | JS ÷ original greedy’s | class×size MSE | coverage (r) | tier mix f / c / r (target) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.lambdaDensity !== undefined) continue;
    const m = r.metrics;
    const orig = rows.find((x) => x.images === r.images && x.label === ORIGINAL)!.metrics;
    lines.push(
      `| ${r.images.toLocaleString('en-US')} | ${r.label} | ${r.seconds.toFixed(1)} s | ${m.ann_per_image!.toFixed(2)} (${m.ann_per_image_ratio!.toFixed(2)}×) | ` +
        `${m.ann_per_image_ks!.toFixed(3)} | ${m.js_divergence!.toFixed(5)} | ${(m.js_divergence! / orig.js_divergence!).toFixed(2)} | ` +
        `${m.mse!.toExponential(2)} | ${pct(m.coverage!)} (${pct(m.coverage_r!)}) | ${mix(m)} |`,
    );
  }
  const source = rows[0]?.metrics.ann_per_image_source;
  lines.push('', `Source: ${source?.toFixed(2)} annotations per image with annotations.`, '', 'Checks (issue 16, new default):', '');
  for (const c of checks) lines.push(`- ${c.pass ? 'PASS' : '**FAIL**'} — ${c.images.toLocaleString('en-US')} images: ${c.name}: ${c.detail}`);
  lines.push(
    '',
    'The trade-off: `lambda_density` (the other options at their defaults, lambda_share 40):',
    '',
    '| images | lambda_density | annotations per image (× source) | KS | JS | coverage | time |',
    '|---|---|---|---|---|---|---|',
  );
  const tradeOff = rows
    .map((r) => ({ r, ld: r.lambdaDensity ?? (r.label === NEW_DEFAULT ? defaultLambda : undefined) }))
    .filter((x): x is { r: DensityRow; ld: number } => x.ld !== undefined)
    .sort((a, b) => b.r.images - a.r.images || a.ld - b.ld);
  for (const { r, ld } of tradeOff) {
    const m = r.metrics;
    lines.push(
      `| ${r.images.toLocaleString('en-US')} | ${ld}${r.label === NEW_DEFAULT ? ' (default)' : ''} | ${m.ann_per_image!.toFixed(2)} (${m.ann_per_image_ratio!.toFixed(2)}×) | ` +
        `${m.ann_per_image_ks!.toFixed(3)} | ${m.js_divergence!.toFixed(5)} | ${pct(m.coverage!)} | ${r.seconds.toFixed(1)} s |`,
    );
  }
  return lines;
}
