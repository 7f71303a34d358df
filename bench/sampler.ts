/**
 * Benchmark of the balanced sampler on full-scale synthetic LVIS (bench/make-data.ts:
 * 100,170 images, 1.27M annotations), for a 10,000-image subset:
 *
 * 1. Incremental vs dense scoring of the *same pools*, for the default mismatch (chi2) and
 *    for the seed's: one pool-256 greedy run each; on every 10th pick its pool is scored both
 *    ways (ObjectiveState.scorePool, i.e. scoreIfAdd from each candidate's own entries, as the
 *    greedy scores its pools, and denseScoreIfAdd, the dense cur + X[i] per touched tier),
 *    timed separately and compared (max relative difference). Both scorers are warmed up
 *    (JIT) on 20,000 untimed calls first, so the ratio compares steady-state costs.
 * 2. Every strategy side by side: JS divergence, class×size MSE, χ², coverage, tier-mix
 *    error, objective, annotations kept, wall time. Greedy (defaults: mismatch chi2, cover) at
 *    pool 256, at pool 2048 and `pool: all` + refinement; the same with the seed's objective
 *    (mismatch seed, cover false); random, restarts, coverage.
 * 3. Issue 4 point 7's checks, printed PASS/FAIL: incremental ≥ 50× dense (default mismatch),
 *    pool all + refinement under a minute, its JS ≤ half of pool 256's (both defaults), and
 *    it covers every category with an image.
 * 4. A study of that last check: each run's JS split into the between-tier part (the tiers'
 *    annotation shares, which the tier-mix target and the rare cover move on purpose) and the
 *    within-tier parts; pool 256 against pool all + refinement at λ_share 1, 10 and the
 *    default (40); pool 256 followed by 100,000 refinement swaps; pool 256 with alpha 0.8. It shows whether a stronger search
 *    lowers JS under a fixed objective, or whether both searches reach the same floor.
 *
 * Exported for bench/run.ts (`npm run bench`); also runs alone:
 *   node dist/bench/sampler.js [--images N] [--refine-iters N] [--scoring-only] [--only TEXT]
 *     [--membership-each] [--no-study] [--out FILE.md]
 *
 * The defaults since issue 27 are `mismatch: js` with the density band; the rows that measure
 * the incremental scorers of issue 4 (`pool: all`, the study of the JS floor under λ_share) name
 * `mismatch: chi2` (with `density_band: free`, the previous default) because `js` has no
 * per-image shortcut for `pool: all`. Issue 27's comparison (two generators, five sizes, the
 * band's trade-off) is bench/sampler-density.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { tierBudgets } from '../src/lvis/sampler/budgets.js';
import { runGreedy } from '../src/lvis/sampler/greedy.js';
import { buildHistograms, type Histograms } from '../src/lvis/sampler/histograms.js';
import { ObjectiveState } from '../src/lvis/sampler/objective.js';
import { denseJsRankIfAdd, denseScoreIfAdd } from '../src/lvis/sampler/objective-dense.js';
import { SamplerProblem } from '../src/lvis/sampler/problem.js';
import { estimateRareQuotas, finalRareQuotas, type RareQuotas } from '../src/lvis/sampler/quotas.js';
import { SeededRandom } from '../src/lvis/sampler/random.js';
import { runSampler, type SamplerOptions } from '../src/lvis/sampler/sampler.js';
import { defaultSamplerOptions } from '../src/steps/greedy-sample.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { computeTierStats } from '../src/lvis/sampler/tier-stats.js';
import { computeTargetTierMix, type TargetMix } from '../src/lvis/sampler/target-mix.js';
import { tierArray } from '../src/lvis/sampler/tiers.js';
import { ensureFullScaleData } from './make-data.js';

export interface SamplerBenchOptions {
  /** Subset size (default 10,000). */
  images?: number;
  /** Refinement iterations of the `pool: all` runs (default 10,000: under a minute with pool all). */
  refineIters?: number;
  /** Only the incremental-vs-dense scoring comparison (no strategy runs). */
  scoringOnly?: boolean;
  /** Only the strategy rows whose label contains this text (and no scoring comparison). */
  only?: string;
  /** Also the seed-mode `pool: all` run with tier_membership each (the published code's counting). */
  membershipEach?: boolean;
  /** Skip the study of the JS floor (section 4 of the header). */
  noStudy?: boolean;
  log?: (line: string) => void;
}

export interface StrategyRow {
  label: string;
  /** A row of the JS-floor study (section 4), not of the strategy table. */
  study?: { lambdaShare: number; search: string; alpha?: number };
  seconds: number;
  metrics: Record<string, number>;
}

export interface SamplerBench {
  prepSeconds: { load: number; stats: number; histograms: number; quotas: number };
  scoring: Scoring[];
  rows: StrategyRow[];
  checks: Check[];
  markdown: string;
}

export interface Scoring {
  mismatch: string;
  pools: number;
  candidates: number;
  incrementalMs: number;
  denseMs: number;
  speedup: number;
  maxRelDiff: number;
}

export interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

const secs = (t0: number) => (performance.now() - t0) / 1000;

interface Inputs {
  ds: Dataset;
  hist: Histograms;
  mix: TargetMix;
  quotas: RareQuotas;
}

function compareScoring(inp: Inputs, images: number, opts: SamplerOptions): Scoring {
  const { ds, hist, mix, quotas } = inp;
  const budgets = tierBudgets(mix.mix, images);
  const problem = new SamplerProblem(
    ds,
    hist,
    finalRareQuotas(quotas, ds.categories.count, budgets[2]!),
    {
      tierWeights: tierArray(opts.tierWeights), lambdaTier: opts.lambdaTier, lambdaCap: opts.lambdaCap,
      lambdaShare: opts.lambdaShare, lambdaDensity: opts.lambdaDensity, target: tierArray(mix.mix), finalSize: images,
    },
    opts.tierMembership,
    opts.mismatch,
  );
  const state = new ObjectiveState(problem);
  const scratch = new Float64Array(problem.keyCount);
  const inc = new Float64Array(256);
  const dense = (i: number) => (opts.mismatch === 'js' ? denseJsRankIfAdd(state, i) : denseScoreIfAdd(state, i, scratch));
  const r = { mismatch: opts.mismatch, pools: 0, candidates: 0, incrementalMs: 0, denseMs: 0, speedup: 0, maxRelDiff: 0 };
  // Warm-up (untimed): let the JIT optimize both scorers before measuring steady-state costs.
  for (let q = 0; q < 20_000; q++) {
    const i = problem.candidates[(q * 7919) % problem.candidates.length]!;
    state.scoreIfAdd(i);
    if (q % 10 === 0) dense(i);
  }
  let step = 0;
  runGreedy(state, new SeededRandom(opts.seed), {
    totalImages: images,
    pool: 256,
    budgets,
    tierBonus: tierArray(opts.tierBonus),
    runawaySlack: opts.runawaySlack,
    onPool: (pool, m) => {
      if (step++ % 10 !== 0) return;
      let t = performance.now();
      state.scorePool(pool, m, inc);
      r.incrementalMs += performance.now() - t;
      t = performance.now();
      for (let q = 0; q < m; q++) {
        const d = dense(pool[q]!);
        const rel = Math.abs(d - inc[q]!) / Math.max(Math.abs(d), 1e-300);
        if (rel > r.maxRelDiff) r.maxRelDiff = rel;
      }
      r.denseMs += performance.now() - t;
      r.pools++;
      r.candidates += m;
    },
  });
  r.speedup = r.denseMs / r.incrementalMs;
  return r;
}

export async function benchSampler(o: SamplerBenchOptions = {}): Promise<SamplerBench> {
  const log = o.log ?? ((l: string) => console.log(l));
  const images = o.images ?? 10_000;
  const refineIters = o.refineIters ?? 10_000;
  const { train } = await ensureFullScaleData();

  let t = performance.now();
  const ds = (await loadDataset(train)).dataset;
  const load = secs(t);
  t = performance.now();
  const stats = computeTierStats(ds);
  const mix = computeTargetTierMix(stats.classes, stats.annotations, 0.6);
  const statsS = secs(t);
  t = performance.now();
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const histS = secs(t);
  t = performance.now();
  const quotas = estimateRareQuotas(ds, 2, 'budget');
  const quotasS = secs(t);
  log(`loaded ${ds.images.count} images, ${ds.annotations.count} annotations in ${load.toFixed(1)} s; ` +
    `${hist.keyCategory.length} keys, ${hist.binKey.length} per-image entries (histograms ${histS.toFixed(2)} s)`);
  const inp = { ds, hist, mix, quotas };
  const base: SamplerOptions = { ...defaultSamplerOptions(), totalImages: images };

  const scoring: Scoring[] = [];
  for (const mismatch of o.scoringOnly || !o.only ? (['js', 'chi2', 'seed'] as const) : []) {
    const sc = compareScoring(inp, images, { ...base, mismatch });
    scoring.push(sc);
    log(`scoring (${mismatch}) the same ${sc.pools} pools (${sc.candidates} candidates): incremental ${sc.incrementalMs.toFixed(0)} ms, ` +
      `dense ${sc.denseMs.toFixed(0)} ms → ${sc.speedup.toFixed(0)}× (max relative difference ${sc.maxRelDiff.toExponential(1)})`);
  }

  const seedMode: Partial<SamplerOptions> = { mismatch: 'seed', cover: false };
  const chi2: Partial<SamplerOptions> = { mismatch: 'chi2', densityBand: 'free' };
  const runs: [string, Partial<SamplerOptions>][] = [
    ['greedy (defaults: js, band ±5%), pool 256', { pool: 256 }],
    ['greedy (defaults: js, band ±5%), pool 2048', { pool: 2048 }],
    ['greedy (defaults: js, band ±5%), pool 256 + 2000 refinement swaps', { pool: 256, refineIters: 2000 }],
    ['greedy, pool 256', { ...chi2, pool: 256 }],
    ['greedy, pool 2048', { ...chi2, pool: 2048 }],
    [`greedy, pool all + ${refineIters} refinement swaps`, { ...chi2, pool: 'all', refineIters }],
    ['seed mode: greedy, pool 256', { ...seedMode, pool: 256 }],
    ['seed mode: greedy, pool 2048 (the seed)', { ...seedMode, pool: 2048 }],
    [`seed mode: greedy, pool all + ${refineIters} refinement swaps`, { ...seedMode, pool: 'all', refineIters }],
    ...(o.membershipEach
      ? [['seed mode: greedy, pool all, tier_membership each (published code)', { ...seedMode, pool: 'all', tierMembership: 'each' }] as [string, Partial<SamplerOptions>]]
      : []),
    ['random', { strategy: 'random' }],
    ['restarts (K = 100), draws scored by χ²', { strategy: 'restarts', restartsK: 100 }],
    ['restarts (K = 100), draws scored by the seed’s MSE', { strategy: 'restarts', restartsK: 100, mismatch: 'seed' }],
    ['coverage (MDETR)', { strategy: 'coverage' }],
  ];
  const study: [string, Partial<SamplerOptions>, StrategyRow['study']][] = [];
  if (!o.noStudy) {
    for (const lambdaShare of [1, 10]) {
      study.push([`study: λ_share ${lambdaShare}, greedy, pool 256`, { ...chi2, lambdaShare, pool: 256 }, { lambdaShare, search: 'pool 256' }]);
      study.push([
        `study: λ_share ${lambdaShare}, greedy, pool all + ${refineIters} refinement swaps`,
        { ...chi2, lambdaShare, pool: 'all', refineIters },
        { lambdaShare, search: `pool all + ${refineIters} swaps` },
      ]);
    }
    const ls = base.lambdaShare;
    study.push([
      `study: λ_share ${ls}, greedy, pool 256 + 100000 refinement swaps`,
      { ...chi2, pool: 256, refineIters: 100_000 },
      { lambdaShare: ls, search: 'pool 256 + 100000 swaps' },
    ]);
    // A target mix closer to the full set's annotation shares, instead of a larger λ_share.
    study.push([`study: λ_share ${ls}, alpha 0.8, greedy, pool 256`, { ...chi2, pool: 256 }, { lambdaShare: ls, search: 'pool 256, alpha 0.8', alpha: 0.8 }]);
  }
  const rows: StrategyRow[] = [];
  for (const [label, over, studyOf] of o.scoringOnly ? [] : [...runs.map(([l, v]) => [l, v, undefined] as const), ...study]) {
    if (o.only && !label.includes(o.only)) continue;
    t = performance.now();
    const rowMix = studyOf?.alpha !== undefined ? computeTargetTierMix(stats.classes, stats.annotations, studyOf.alpha) : mix;
    const r = runSampler(ds, hist, rowMix, quotas, { ...base, ...over });
    const row: StrategyRow = { label, seconds: secs(t), metrics: r.report.metrics, ...(studyOf ? { study: studyOf } : {}) };
    rows.push(row);
    const m = row.metrics;
    log(`${label}: ${row.seconds.toFixed(1)} s, JS ${m.js_divergence!.toFixed(5)} (between tiers ${m.js_between_tiers!.toFixed(5)}), MSE ${m.mse!.toExponential(2)}, χ² ${m.chi2!.toExponential(2)}, ` +
      `tier-mix ${m.tier_mix_error!.toExponential(2)}, coverage ${(100 * m.coverage!).toFixed(1)}% (r ${(100 * m.coverage_r!).toFixed(1)}%), ` +
      `annotations ${m.annotations_kept}`);
    for (const n of r.notes) log(`  ${n}`);
  }
  const p256 = rows.find((r) => r.label === 'greedy, pool 256');
  const all = rows.find((r) => r.label.startsWith('greedy, pool all'));
  const chi2Scoring = scoring.find((x) => x.mismatch === 'chi2');
  const checks: Check[] = [];
  if (chi2Scoring) {
    checks.push({
      name: 'incremental scoring ≥ 50× dense (pool 256, mismatch chi2)',
      pass: chi2Scoring.speedup >= 50,
      detail: `${chi2Scoring.speedup.toFixed(0)}×`,
    });
  }
  if (all) {
    checks.push({ name: 'pool all + refinement under a minute', pass: all.seconds < 60, detail: `${all.seconds.toFixed(1)} s` });
    checks.push({
      name: 'pool all + refinement covers every category with a train image',
      pass: all.metrics.coverage === 1,
      detail: `${all.metrics.covered_f! + all.metrics.covered_c! + all.metrics.covered_r!} of ${all.metrics.coverable_f! + all.metrics.coverable_c! + all.metrics.coverable_r!}`,
    });
  }
  if (all && p256) {
    checks.push({
      name: 'JS(pool all + refinement) ≤ ½ JS(pool 256)',
      pass: all.metrics.js_divergence! <= p256.metrics.js_divergence! / 2,
      detail: `${all.metrics.js_divergence!.toFixed(5)} vs ½ · ${p256.metrics.js_divergence!.toFixed(5)} = ${(p256.metrics.js_divergence! / 2).toFixed(5)}`,
    });
  }
  const seed256 = rows.find((r) => r.label === 'seed mode: greedy, pool 256');
  if (all && seed256) {
    checks.push({
      name: 'JS(pool all + refinement) ≤ ½ JS(seed mode pool 256) (the seed’s objective, as when the issue was written)',
      pass: all.metrics.js_divergence! <= seed256.metrics.js_divergence! / 2,
      detail: `${all.metrics.js_divergence!.toFixed(5)} vs ½ · ${seed256.metrics.js_divergence!.toFixed(5)} = ${(seed256.metrics.js_divergence! / 2).toFixed(5)}`,
    });
  }
  for (const c of checks) log(`${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  const prepSeconds = { load, stats: statsS, histograms: histS, quotas: quotasS };
  const markdown = renderMarkdown({ prepSeconds, scoring, rows, checks }, ds, images, base);
  return { prepSeconds, scoring, rows, checks, markdown };
}

function renderMarkdown(b: Omit<SamplerBench, 'markdown'>, ds: Dataset, images: number, base: SamplerOptions): string {
  const f = (x: number, d = 4) => x.toFixed(d);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `Input: ${ds.images.count.toLocaleString('en-US')} images, ${ds.annotations.count.toLocaleString('en-US')} annotations; subset of ${images.toLocaleString('en-US')} images, seed 1337, the step's defaults otherwise (mismatch ${base.mismatch}, cover on, density_band ${base.densityBand}); rows named "greedy" without "defaults" are mismatch chi2 with density_band free (lambda_share ${base.lambdaShare}, lambda_density ${base.lambdaDensity}: the previous default); "seed mode" = mismatch seed, cover off.`,
    '',
    `Preparation: stats ${f(b.prepSeconds.stats, 2)} s, histograms ${f(b.prepSeconds.histograms, 2)} s, quotas ${f(b.prepSeconds.quotas, 2)} s (load ${f(b.prepSeconds.load, 1)} s).`,
    '',
    '| scoring of the same pools (pool 256, every 10th pick) | pools | candidates | dense (cur + X[i], mismatch over all keys of each touched tier) | incremental (the candidate\'s own entries) | speedup | max relative difference |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const sc of b.scoring) {
    lines.push(
      `| mismatch ${sc.mismatch} | ${sc.pools} | ${sc.candidates} | ${f(sc.denseMs, 0)} ms (${f((1000 * sc.denseMs) / sc.candidates, 2)} µs each) | ` +
        `${f(sc.incrementalMs, 0)} ms (${f((1000 * sc.incrementalMs) / sc.candidates, 3)} µs each) | **${sc.speedup.toFixed(0)}×** | ${sc.maxRelDiff.toExponential(1)} |`,
    );
  }
  lines.push(
    '',
    `Every strategy at ${images.toLocaleString('en-US')} images:`,
    '',
    '| strategy | time | annotations per image | JS divergence | of which between tiers | class×size MSE | χ² | tier-mix error | objective J | coverage (all / f / c / r) | annotations kept |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of b.rows) {
    if (r.study) continue;
    const m = r.metrics;
    lines.push(
      `| ${r.label} | ${r.seconds.toFixed(1)} s | ${m.ann_per_image!.toFixed(2)} | ${f(m.js_divergence!)} | ${f(m.js_between_tiers!)} | ${m.mse!.toExponential(2)} | ${m.chi2!.toExponential(2)} | ${m.tier_mix_error!.toExponential(2)} | ` +
        `${m.objective!.toExponential(3)} | ${pct(m.coverage!)} / ${pct(m.coverage_f!)} / ${pct(m.coverage_c!)} / ${pct(m.coverage_r!)} | ${m.annotations_kept!.toLocaleString('en-US')} |`,
    );
  }
  lines.push('', 'Checks (issue 4, point 7):', '');
  for (const c of b.checks) lines.push(`- ${c.pass ? 'PASS' : '**FAIL**'} — ${c.name}: ${c.detail}`);
  lines.push(...renderStudy(b.rows, base.lambdaShare));
  return lines.join('\n');
}

/**
 * Section 4: JS split by tier, and pool 256 against pool all + refinement under the same
 * objective at three λ_share values (the default's = the strategy table's default rows).
 */
function renderStudy(rows: StrategyRow[], defaultShare: number): string[] {
  const f = (x: number) => x.toFixed(5);
  const studyRows: { lambdaShare: number; search: string; row: StrategyRow }[] = [];
  for (const r of rows) {
    if (r.study) studyRows.push({ ...r.study, row: r });
    else if (r.label === 'greedy, pool 256') studyRows.push({ lambdaShare: defaultShare, search: 'pool 256', row: r });
    else if (r.label.startsWith('greedy, pool all')) studyRows.push({ lambdaShare: defaultShare, search: r.label.replace('greedy, ', '').replace(' refinement', ''), row: r });
  }
  if (studyRows.length === 0) return [];
  studyRows.sort((a, b) => a.lambdaShare - b.lambdaShare);
  const lines = [
    '',
    'Where the JS comes from, and whether a stronger search lowers it (same objective within each λ_share; JS split exactly, quality.ts `jsDecomposition`):',
    '',
    '| λ_share | search | time | JS | between tiers | within f | within c | within r | objective J | tier-mix error | JS ÷ JS(pool 256, same λ_share) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of studyRows) {
    const m = s.row.metrics;
    const ref = studyRows.find((x) => x.lambdaShare === s.lambdaShare && x.search === 'pool 256');
    const ratio = ref ? (m.js_divergence! / ref.row.metrics.js_divergence!).toFixed(2) : '';
    lines.push(
      `| ${s.lambdaShare} | ${s.search} | ${s.row.seconds.toFixed(1)} s | ${f(m.js_divergence!)} | ${f(m.js_between_tiers!)} | ${f(m.js_within_f!)} | ` +
        `${f(m.js_within_c!)} | ${f(m.js_within_r!)} | ${m.objective!.toExponential(4)} | ${m.tier_mix_error!.toExponential(2)} | ${ratio} |`,
    );
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const r = await benchSampler({
    images: arg('--images') ? Number(arg('--images')) : undefined,
    refineIters: arg('--refine-iters') ? Number(arg('--refine-iters')) : undefined,
    scoringOnly: args.includes('--scoring-only'),
    only: arg('--only'),
    membershipEach: args.includes('--membership-each'),
    noStudy: args.includes('--no-study'),
  });
  console.log('\n' + r.markdown);
  const out = arg('--out');
  if (out) writeFileSync(out, r.markdown + '\n');
}
