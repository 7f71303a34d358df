/**
 * Issue 27: the density band (a constraint, not a weight), the `js` mismatch, the switch for
 * free density, determinism; and from issue 24, the log's words for the runaway guard and the
 * rare quotas' rescaling. Real-shaped data: LVIS-like categories in three tiers, a long tail of
 * crowded images (helpers/make-dataset.ts), or the real LVIS v0.5 val sample.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomDataset, testRng } from './helpers/make-dataset.js';
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import { buildHistograms } from '../src/lvis/sampler/histograms.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { DensityBand } from '../src/lvis/sampler/density-band.js';
import { repairBand } from '../src/lvis/sampler/band-repair.js';
import { ObjectiveState } from '../src/lvis/sampler/objective.js';
import { denseJsRankIfAdd, denseObjective } from '../src/lvis/sampler/objective-dense.js';
import { SamplerProblem } from '../src/lvis/sampler/problem.js';
import { estimateRareQuotas, finalRareQuotas } from '../src/lvis/sampler/quotas.js';
import { runSampler, type SamplerOptions } from '../src/lvis/sampler/sampler.js';
import { guardNote, quotaNote } from '../src/lvis/sampler/sampler-notes.js';
import { defaultSamplerOptions } from '../src/steps/greedy-sample.js';
import { samplerInputs } from './helpers/sampler-inputs.js';

const DEFAULTS = defaultSamplerOptions();

/** LVIS-shaped: 3 tiers, log-normal annotations per image with a crowded tail. */
function lvisLike(seed: number, images: number): Dataset {
  return randomDataset(seed, { images, frequent: 30, common: 50, rare: 40, meanAnnotations: 9, emptyShare: 0.05 });
}

test('the defaults hold annotations per image inside the ±5% band (mean and KS), with every category covered', () => {
  const ds = lvisLike(41, 3000);
  const { hist, mix, quotas } = samplerInputs(ds);
  for (const totalImages of [500, 250]) {
    const r = runSampler(ds, hist, mix, quotas, { ...DEFAULTS, totalImages });
    const m = r.report.metrics;
    const at = `at ${totalImages} images`;
    assert.ok(Math.abs(m.ann_per_image_ratio! - 1) <= 0.05, `${at}: mean ratio ${m.ann_per_image_ratio}`);
    assert.ok(m.ann_per_image_ks! <= 0.05, `${at}: KS ${m.ann_per_image_ks}`);
    assert.equal(m.coverage, 1, at);
  }
});

test('the band is what holds it: without it the same sampler leaves the band on this data; a wider band is held as wide', () => {
  const ds = lvisLike(43, 3000);
  const { hist, mix, quotas } = samplerInputs(ds);
  const run = (o: Partial<SamplerOptions>) => runSampler(ds, hist, mix, quotas, { ...DEFAULTS, totalImages: 400, ...o }).report.metrics;
  const outside = (m: Record<string, number>, b: number) => Math.max(Math.abs(m.ann_per_image_ratio! - 1), m.ann_per_image_ks!) > b;
  const free = run({ densityBand: 'free' });
  assert.ok(outside(free, 0.05), `free: mean ratio ${free.ann_per_image_ratio}, KS ${free.ann_per_image_ks}`);
  for (const b of [0.02, 0.05, 0.15]) {
    const m = run({ densityBand: b });
    assert.ok(!outside(m, b), `band ${b}: mean ratio ${m.ann_per_image_ratio}, KS ${m.ann_per_image_ks}`);
  }
  // chi2 holds it too; seed (the original tool's objective) ignores it.
  const chi2 = run({ mismatch: 'chi2', lambdaDensity: 0 });
  assert.ok(!outside(chi2, 0.05), `chi2: mean ratio ${chi2.ann_per_image_ratio}, KS ${chi2.ann_per_image_ks}`);
  const seedFree = runSampler(ds, hist, mix, quotas, { ...DEFAULTS, totalImages: 400, mismatch: 'seed', cover: false, densityBand: 'free' });
  const seedBand = runSampler(ds, hist, mix, quotas, { ...DEFAULTS, totalImages: 400, mismatch: 'seed', cover: false, densityBand: 0.02 });
  assert.deepEqual(seedBand.sample.imageIndices, seedFree.sample.imageIndices);
});

test('the same inputs, options and seed give the same subset with the band and js; another seed another', () => {
  const ds = lvisLike(47, 1500);
  const { hist, mix, quotas } = samplerInputs(ds);
  const opts = { ...DEFAULTS, totalImages: 200, refineIters: 100 };
  const a = runSampler(ds, hist, mix, quotas, opts);
  const b = runSampler(ds, hist, mix, quotas, opts);
  assert.deepEqual(a.sample, b.sample);
  assert.deepEqual(a.report.metrics, b.report.metrics);
  assert.notDeepEqual(runSampler(ds, hist, mix, quotas, { ...opts, seed: 7 }).sample.imageIndices, a.sample.imageIndices);
});

test('band excess of every candidate count equals a direct check of the subset with it (add and swap)', () => {
  const counts = Int32Array.from([0, 1, 1, 2, 2, 2, 3, 5, 8, 13, 1, 2, 4, 4, 30]);
  const positive = Array.from(counts).filter((c) => c > 0);
  const mean = positive.reduce((a, c) => a + c, 0) / positive.length;
  const fixed = new DensityBand(counts, 0.05, 6, mean);
  const direct = (sel: number[], n: number) => {
    const tol = 0.05 + Math.max(0, 1 / n - 1 / 6);
    let e = Math.max(0, Math.abs(sel.reduce((a, c) => a + c, 0) / (n * mean) - 1) - tol);
    for (let a = 0; a <= 30; a++) {
      const F = positive.filter((c) => c <= a).length / positive.length;
      e = Math.max(e, Math.abs(sel.filter((c) => c <= a).length / n - F) - tol);
    }
    return e;
  };
  assert.equal(fixed.width, 0.05);
  for (const x of [1, 2, 13]) fixed.add(x);
  fixed.prepareAdd();
  for (const x of [1, 2, 3, 4, 5, 8, 13, 30]) assert.ok(Math.abs(fixed.excess[x]! - direct([1, 2, 13, x], 4)) < 1e-12, `add ${x}`);
  fixed.prepareSwap(13);
  for (const x of [1, 3, 30]) assert.ok(Math.abs(fixed.excess[x]! - direct([1, 2, x], 3)) < 1e-12, `swap 13 for ${x}`);
  assert.ok(Math.abs(fixed.current() - direct([1, 2, 13], 3)) < 1e-12);
});

test('a subset that ends outside the band is swapped back inside it, the same size, with no image twice', () => {
  const ds = lvisLike(73, 1500);
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const quota = new Int32Array(ds.categories.count).fill(-1);
  const problem = new SamplerProblem(ds, hist, quota, {
    tierWeights: Float64Array.from([1, 1, 0.6]), lambdaTier: 3, lambdaCap: 2, finalSize: 150,
    band: { width: 0.05, finalSize: 150 }, target: Float64Array.from([0.7, 0.2, 0.1]),
  }, 'rarest', 'js');
  const state = new ObjectiveState(problem);
  // The 150 most crowded images: far outside the band.
  const count = (i: number) => ds.images.annOffsets[i + 1]! - ds.images.annOffsets[i]!;
  const order = Array.from(problem.candidates).sort((a, b) => count(b) - count(a) || a - b).slice(0, 150);
  for (const i of order) state.add(i);
  const before = state.band!.current();
  assert.ok(before > 0.2, `excess ${before}`);
  const r = repairBand(state, order, undefined);
  assert.equal(r.before, before);
  assert.equal(r.after, 0);
  assert.equal(state.band!.current(), 0);
  assert.equal(order.length, 150);
  assert.equal(new Set(order).size, 150);
  assert.ok(order.every((i) => state.selected[i] === 1));
  assert.ok(r.swaps > 0);
  assert.ok(Math.abs(state.objective() - denseObjective(state)) <= 1e-9 * denseObjective(state), "J kept exact through the swaps");
});

test('js: the pick score, J(S) and swaps, kept incrementally, equal a dense computation to 1e-9', () => {
  const ds = randomDataset(53, { images: 400, frequent: 20, common: 30, rare: 25, meanAnnotations: 7 });
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const rnd = testRng(5);
  const quota = finalRareQuotas(estimateRareQuotas(ds, 2, 'budget'), ds.categories.count, 20);
  const problem = new SamplerProblem(ds, hist, quota, {
    tierWeights: Float64Array.from([1, 0.8, 0.6]), lambdaTier: 3, lambdaCap: 2, finalSize: 60,
    target: Float64Array.from([0.6, 0.3, 0.1]),
  }, 'rarest', 'js');
  const state = new ObjectiveState(problem);
  const rel = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-12), `${what}: ${a} vs ${b}`);
  const cands = Array.from(problem.candidates);
  for (let step = 0; step < 60; step++) {
    const i = cands[Math.floor(rnd() * cands.length)]!;
    if (state.selected[i]) continue;
    if (step % 6 === 0) rel(state.scoreIfAdd(i), denseJsRankIfAdd(state, i), `pick score at step ${step}`);
    state.add(i);
    rel(state.objective(), denseObjective(state), `J at step ${step}`);
  }
  const inside = cands.filter((i) => state.selected[i]);
  const outside = cands.filter((i) => !state.selected[i]);
  for (let k = 0; k < 20; k++) {
    const j = inside[Math.floor(rnd() * inside.length)]!;
    const i = outside[Math.floor(rnd() * outside.length)]!;
    const before = state.objective();
    const delta = state.swapDelta(j, i);
    state.remove(j);
    state.add(i);
    rel(before + delta, denseObjective(state), `swap ${k}`);
    state.remove(i);
    state.add(j);
  }
});

test('js beats the original greedy on JS and the share MSE at the same size, on LVIS-shaped data', () => {
  const ds = lvisLike(59, 4000);
  const { hist, mix, quotas } = samplerInputs(ds);
  const ours = runSampler(ds, hist, mix, quotas, { ...DEFAULTS, totalImages: 400 }).report.metrics;
  const original = runSampler(ds, hist, mix, quotas, { ...DEFAULTS, totalImages: 400, mismatch: 'seed', cover: false }).report.metrics;
  assert.ok(ours.js_divergence! < original.js_divergence!, `JS ${ours.js_divergence} vs ${original.js_divergence}`);
  assert.ok(ours.share_mse! < original.share_mse!, `share MSE ${ours.share_mse} vs ${original.share_mse}`);
  assert.ok(ours.coverage! > original.coverage!);
});

test('share MSE: the mean over the full set’s keys of the squared share difference, by hand', () => {
  const ds = randomDataset(61, { images: 50, frequent: 3, common: 2, rare: 2, meanAnnotations: 3 });
  const { hist, mix, quotas } = samplerInputs(ds);
  const r = runSampler(ds, hist, mix, quotas, { ...DEFAULTS, strategy: 'random', totalImages: 10 });
  const k = r.report.keys;
  let s = 0;
  for (let q = 0; q < k.fullCount.length; q++) {
    const full = k.fullCount[q]! / k.fullCount.reduce((a, b) => a + b, 0);
    const sub = k.subsetCount[q]! / k.subsetCount.reduce((a, b) => a + b, 0);
    s += (sub - full) ** 2;
  }
  assert.ok(Math.abs(r.report.metrics.share_mse! - s / k.fullCount.length) < 1e-18);
});

// Issue 24, "Words": "runaway guard: … f-only candidates dropped" was jargon.
test('the runaway guard note says in plain words what happened and which option decides', () => {
  const note = guardNote({ tier: 0, atSize: 9500, limit: 7370, removed: 12345 }, 7019, 0.05);
  assert.doesNotMatch(note, /-only|candidates dropped|tier f\b/);
  assert.match(note, /the frequent tier passed 7,370 images \(its budget of 7,019 plus runaway_slack = 5%\)/);
  assert.match(note, /when the subset had 9,500 images/);
  assert.match(note, /12,345 remaining images with only frequent categories were no longer considered/);
  // Through the sampler: a greedy run that trips the guard logs it in these words.
  const ds = lvisLike(67, 2000);
  const { hist, mix, quotas } = samplerInputs(ds);
  const r = runSampler(ds, hist, mix, quotas, { ...DEFAULTS, totalImages: 600, mismatch: 'seed', cover: false, runawaySlack: 0 });
  assert.ok(r.details.guard.length > 0, 'the guard fired');
  const logged = r.notes.filter((n) => n.startsWith('runaway guard'));
  assert.equal(logged.length, r.details.guard.length);
  for (const n of logged) assert.match(n, /^runaway guard: the (frequent|common|rare) tier passed [\d,]+ images \(its budget of [\d,]+ plus runaway_slack = 0%\)/);
});

// Issue 24, "Rare-quota chart": "quota 3" beside rare_cap: 2, with no word that quotas are rescaled.
test('the log says how the rare quotas were made when one ends above rare_cap', () => {
  const q = { rareCap: 2, target: 'budget' as const, categoryIndex: [0, 1, 2], categoryId: [1, 2, 3], annotations: [4, 1, 9], images: [3, 1, 5], capped: [2, 1, 2] };
  const final = finalRareQuotas(q, 3, 8, 1);
  assert.deepEqual(Array.from(final), [3, 1, 3]);
  const note = quotaNote(q, 8, final, true)!;
  assert.match(note, /min\(rare_cap = 2, its images\), rescaled ×1\.60 so that they sum to 8 images \(the rare tier's budget\)/);
  assert.match(note, /at least 1/);
  assert.match(note, /quotas run to 3, above rare_cap/);
  assert.equal(quotaNote(q, 5, finalRareQuotas(q, 3, 5), false), undefined, 'nothing to say when the quotas are the capped ones');
});
