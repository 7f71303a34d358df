/**
 * Benchmark of the balanced sampler on full-scale synthetic LVIS (bench/make-data.ts:
 * 100,170 images, 1.27M annotations), for a 10,000-image subset:
 *
 * 1. Incremental vs dense scoring of the *same pools*: one pool-256 greedy run; on every
 *    10th pick its pool is scored both ways (ObjectiveState.scorePool, i.e. scoreIfAdd from each
 *    candidate's own entries, as the greedy scores its pools, and denseScoreIfAdd, the seed's dense cur + X[i] per touched tier), timed
 *    separately and compared (max relative difference). Both scorers are warmed up (JIT)
 *    on 20,000 untimed calls first, so the ratio compares steady-state costs.
 * 2. Every strategy side by side: JS divergence, class×size MSE, coverage, tier-mix error,
 *    objective, annotations kept, wall time. Greedy at pool 256, at the seed's pool 2048, and
 *    `pool: all` + refinement.
 *
 * Exported for bench/run.ts (`npm run bench`); also runs alone:
 *   node dist/bench/sampler.js [--images N] [--refine-iters N] [--scoring-only] [--out FILE.md]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dataset } from '../src/lvis/dataset.js';
import { loadDataset } from '../src/lvis/load.js';
import { tierBudgets } from '../src/lvis/sampler/budgets.js';
import { runGreedy } from '../src/lvis/sampler/greedy.js';
import { buildHistograms, type Histograms } from '../src/lvis/sampler/histograms.js';
import { ObjectiveState, SamplerProblem } from '../src/lvis/sampler/objective.js';
import { estimateRareQuotas, finalRareQuotas, type RareQuotas } from '../src/lvis/sampler/quotas.js';
import { SeededRandom } from '../src/lvis/sampler/random.js';
import { DEFAULT_SAMPLER_OPTIONS, runSampler, type SamplerOptions } from '../src/lvis/sampler/sampler.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { computeTierStats } from '../src/lvis/sampler/stats.js';
import { computeTargetTierMix, type TargetMix } from '../src/lvis/sampler/target-mix.js';
import { tierArray } from '../src/lvis/sampler/tiers.js';
import { ensureFullScaleData } from './make-data.js';

export interface SamplerBenchOptions {
  /** Subset size (default 10,000). */
  images?: number;
  /** Refinement iterations of the `pool: all` run (default 20,000). */
  refineIters?: number;
  /** Only the incremental-vs-dense scoring comparison (no strategy runs). */
  scoringOnly?: boolean;
  log?: (line: string) => void;
}

export interface StrategyRow {
  label: string;
  seconds: number;
  metrics: Record<string, number>;
}

export interface SamplerBench {
  prepSeconds: { load: number; stats: number; histograms: number; quotas: number };
  scoring: { pools: number; candidates: number; incrementalMs: number; denseMs: number; speedup: number; maxRelDiff: number };
  rows: StrategyRow[];
  checks: { speedupAtLeast50: boolean; poolAllUnderAMinute: boolean; jsAtMostHalf: boolean; fullCoverage: boolean };
  markdown: string;
}

const secs = (t0: number) => (performance.now() - t0) / 1000;

interface Inputs {
  ds: Dataset;
  hist: Histograms;
  mix: TargetMix;
  quotas: RareQuotas;
}

function compareScoring(inp: Inputs, images: number, opts: SamplerOptions): SamplerBench['scoring'] {
  const { ds, hist, mix, quotas } = inp;
  const budgets = tierBudgets(mix.mix, images);
  const problem = new SamplerProblem(
    ds,
    hist,
    finalRareQuotas(quotas, ds.categories.count, budgets[2]!),
    { tierWeights: tierArray(opts.tierWeights), lambdaTier: opts.lambdaTier, lambdaCap: opts.lambdaCap, target: tierArray(mix.mix) },
    opts.tierMembership,
  );
  const state = new ObjectiveState(problem);
  const scratch = new Float64Array(problem.keyCount);
  const inc = new Float64Array(256);
  const r = { pools: 0, candidates: 0, incrementalMs: 0, denseMs: 0, speedup: 0, maxRelDiff: 0 };
  // Warm-up (untimed): let the JIT optimize both scorers before measuring steady-state costs.
  for (let q = 0; q < 20_000; q++) {
    const i = problem.candidates[(q * 7919) % problem.candidates.length]!;
    state.scoreIfAdd(i);
    if (q % 10 === 0) state.denseScoreIfAdd(i, scratch);
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
        const d = state.denseScoreIfAdd(pool[q]!, scratch);
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
  const refineIters = o.refineIters ?? 20_000;
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
  const base: SamplerOptions = { ...DEFAULT_SAMPLER_OPTIONS, totalImages: images };

  const scoring = compareScoring(inp, images, base);
  log(`scoring the same ${scoring.pools} pools (${scoring.candidates} candidates): incremental ${scoring.incrementalMs.toFixed(0)} ms, ` +
    `dense ${scoring.denseMs.toFixed(0)} ms → ${scoring.speedup.toFixed(0)}× (max relative difference ${scoring.maxRelDiff.toExponential(1)})`);

  const runs: [string, Partial<SamplerOptions>][] = [
    ['greedy, pool 256', { pool: 256 }],
    ['greedy, pool 2048 (seed default)', { pool: 2048 }],
    [`greedy, pool all + ${refineIters} refinement swaps`, { pool: 'all', refineIters }],
    ['greedy, pool all, tier_membership each (published code)', { pool: 'all', tierMembership: 'each' }],
    ['random', { strategy: 'random' }],
    ['restarts (K = 100)', { strategy: 'restarts', restartsK: 100 }],
    ['coverage (MDETR)', { strategy: 'coverage' }],
  ];
  const rows: StrategyRow[] = [];
  for (const [label, over] of o.scoringOnly ? [] : runs) {
    t = performance.now();
    const r = runSampler(ds, hist, mix, quotas, { ...base, ...over });
    const row = { label, seconds: secs(t), metrics: r.report.metrics };
    rows.push(row);
    const m = row.metrics;
    log(`${label}: ${row.seconds.toFixed(1)} s, JS ${m.js_divergence!.toFixed(4)}, MSE ${m.mse!.toExponential(2)}, ` +
      `coverage ${(100 * m.coverage!).toFixed(1)}% (r ${(100 * m.coverage_r!).toFixed(1)}%)`);
  }
  const p256 = rows[0]?.metrics;
  const all = rows[2];
  const checks = {
    speedupAtLeast50: scoring.speedup >= 50,
    poolAllUnderAMinute: !!all && all.seconds < 60,
    jsAtMostHalf: !!all && !!p256 && all.metrics.js_divergence! <= p256.js_divergence! / 2,
    fullCoverage: !!all && all.metrics.coverage === 1,
  };
  const markdown = renderMarkdown({ prepSeconds: { load, stats: statsS, histograms: histS, quotas: quotasS }, scoring, rows, checks }, ds, images);
  return { prepSeconds: { load, stats: statsS, histograms: histS, quotas: quotasS }, scoring, rows, checks, markdown };
}

function renderMarkdown(b: Omit<SamplerBench, 'markdown'>, ds: Dataset, images: number): string {
  const f = (x: number, d = 4) => x.toFixed(d);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `Input: ${ds.images.count.toLocaleString('en-US')} images, ${ds.annotations.count.toLocaleString('en-US')} annotations; subset of ${images.toLocaleString('en-US')} images, seed 1337, the seed's defaults otherwise.`,
    '',
    `Preparation: stats ${f(b.prepSeconds.stats, 2)} s, histograms ${f(b.prepSeconds.histograms, 2)} s, quotas ${f(b.prepSeconds.quotas, 2)} s (load ${f(b.prepSeconds.load, 1)} s).`,
    '',
    '| scoring of the same pools (pool 256, every 10th pick) | pools | candidates | time | per candidate |',
    '|---|---|---|---|---|',
    `| dense (the seed's cur + X[i], score_classsize over all keys of each touched tier) | ${b.scoring.pools} | ${b.scoring.candidates} | ${f(b.scoring.denseMs, 0)} ms | ${f((1000 * b.scoring.denseMs) / b.scoring.candidates, 2)} µs |`,
    `| incremental (the candidate's own entries) | ${b.scoring.pools} | ${b.scoring.candidates} | ${f(b.scoring.incrementalMs, 0)} ms | ${f((1000 * b.scoring.incrementalMs) / b.scoring.candidates, 3)} µs |`,
    '',
    `Incremental is **${b.scoring.speedup.toFixed(0)}×** faster; largest relative difference between the two: ${b.scoring.maxRelDiff.toExponential(1)}.`,
    '',
    '| strategy | time | JS divergence | class×size MSE | tier-mix error | objective J | coverage (all / f / c / r) | annotations kept |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of b.rows) {
    const m = r.metrics;
    lines.push(
      `| ${r.label} | ${r.seconds.toFixed(1)} s | ${f(m.js_divergence!)} | ${m.mse!.toExponential(2)} | ${m.tier_mix_error!.toExponential(2)} | ` +
        `${m.objective!.toExponential(3)} | ${pct(m.coverage!)} / ${pct(m.coverage_f!)} / ${pct(m.coverage_c!)} / ${pct(m.coverage_r!)} | ${m.annotations_kept!.toLocaleString('en-US')} |`,
    );
  }
  lines.push('', 'Checks: ' + Object.entries(b.checks).map(([k, v]) => `${k} ${v ? 'yes' : '**no**'}`).join(', ') + '.');
  return lines.join('\n');
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
  });
  console.log('\n' + r.markdown);
  const out = arg('--out');
  if (out) writeFileSync(out, r.markdown + '\n');
}
