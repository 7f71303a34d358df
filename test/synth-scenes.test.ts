/**
 * `lvis-pipe synth --cooccurrence scenes` (issue 27): each image draws a scene topic, and its
 * categories and counts come from the topic; the LVIS tiers and per-category image counts
 * follow data/lvis_v1_categories.json; 16% of the images are empty. Plans at a small scale, and
 * the written file through the command.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { LVIS_V1_TRAIN_IMAGES } from '../src/lvis/dataset/lvis-categories.js';
import { planSynthSplits } from '../src/lvis/synth/synth.js';
import { MODEL } from '../src/lvis/synth/model.js';
import { SCENES } from '../src/lvis/synth/scenes.js';
import { command } from '../src/commands/synth.js';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import synthStep from '../src/steps/synth.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const N = 12_000;
const scale = N / LVIS_V1_TRAIN_IMAGES;
const { model, train } = planSynthSplits({ seed: 4, trainImages: N, valImages: 0, cooccurrence: 'scenes' });
const { offsets, category, instances } = train.pairs;
const annotationsOf = (i: number) => {
  let n = 0;
  for (let p = offsets[i]!; p < offsets[i + 1]!; p++) n += instances[p]!;
  return n;
};

describe('scene co-occurrence (plan, 12,000 images)', () => {
  test('every category shows in its LVIS v1 image_count × scale, randomized rounding: floor or ceil, never more or less', () => {
    let off = 0;
    model.meta.forEach((m, c) => {
      const want = m.image_count * scale;
      const got = train.categoryImageCount[c]!;
      if (got !== Math.floor(want) && got !== Math.ceil(want)) off++;
    });
    assert.equal(off, 0, `${off} categories off their scaled image count`);
  });

  test('the LVIS tiers: each tier’s image slots within 3% of its scaled total, rare categories present in proportion', () => {
    for (const tier of ['f', 'c', 'r'] as const) {
      let want = 0;
      let got = 0;
      model.meta.forEach((m, c) => {
        if (m.frequency !== tier) return;
        want += m.image_count * scale;
        got += train.categoryImageCount[c]!;
      });
      assert.ok(Math.abs(got / want - 1) < 0.03, `tier ${tier}: ${got} image slots, expected ${want.toFixed(0)}`);
    }
    const rare = model.meta.filter((m) => m.frequency === 'r');
    const shown = rare.filter((m) => train.categoryImageCount[model.meta.indexOf(m)]! > 0).length;
    const expected = rare.reduce((s, m) => s + Math.min(1, m.image_count * scale), 0);
    assert.ok(Math.abs(shown - expected) < 4 * Math.sqrt(expected), `${shown} rare categories shown, about ${expected.toFixed(0)} expected`);
  });

  test('16% of the images are empty; the others average LVIS’s annotations per annotated image', () => {
    let empty = 0;
    let annotations = 0;
    for (let i = 0; i < N; i++) {
      const a = annotationsOf(i);
      if (a === 0) empty++;
      annotations += a;
    }
    assert.equal(empty, Math.round(N * SCENES.emptyImageFraction));
    // LVIS v1 train: 1,270,141 annotations on 84% of 100,170 images = 15.1 per annotated image.
    assert.ok(Math.abs(annotations / (N - empty) - 15.1) < 1.5, `${annotations / (N - empty)} per annotated image`);
  });

  test('the scene decides: crowded and sparse topics, and rare categories arrive inside crowded scenes', () => {
    const perTopic = Array.from({ length: MODEL.topics }, () => ({ images: 0, categories: 0 }));
    let all = 0;
    let annotated = 0;
    let rareSum = 0;
    let rareImages = 0;
    for (let i = 0; i < N; i++) {
      const k = offsets[i + 1]! - offsets[i]!;
      if (k === 0) continue;
      perTopic[train.topic[i]!]!.images++;
      perTopic[train.topic[i]!]!.categories += k;
      all += annotationsOf(i);
      annotated++;
      let rare = false;
      for (let p = offsets[i]!; p < offsets[i + 1]!; p++) rare ||= model.meta[category[p]!]!.frequency === 'r';
      if (rare) (rareSum += annotationsOf(i), rareImages++);
    }
    const means = perTopic.filter((t) => t.images >= 50).map((t) => t.categories / t.images);
    assert.ok(Math.max(...means) > 3 * Math.min(...means), `categories per image by topic: ${Math.min(...means).toFixed(1)}–${Math.max(...means).toFixed(1)}`);
    assert.ok(rareSum / rareImages > 2 * (all / annotated), `images with a rare category: ${(rareSum / rareImages).toFixed(1)} annotations, all: ${(all / annotated).toFixed(1)}`);
  });

  test('the default model is untouched by the option: 1% empty, its own plan', () => {
    const topics = planSynthSplits({ seed: 4, trainImages: 2000, valImages: 0 }).train;
    let empty = 0;
    for (let i = 0; i < 2000; i++) if (topics.pairs.offsets[i + 1] === topics.pairs.offsets[i]) empty++;
    assert.equal(empty, Math.round(2000 * MODEL.emptyImageFraction));
  });
});

describe('lvis-pipe synth --cooccurrence', () => {
  const run = async (args: string[]) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'lvis-scenes-'));
    dirs.push(cwd);
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const code = await command.run(args, { registry: new StepRegistry([synthStep]), stdout: sink, stderr: sink, cwd, interactive: false, handleSignals: false });
    return { code, cwd };
  };

  test('scenes writes an LVIS file that names its model; the default names none', async () => {
    const { code, cwd } = await run(['--out', 'd', '--images', '300', '--val-images', '0', '--cooccurrence', 'scenes', '--quiet']);
    assert.equal(code, 0);
    const file = JSON.parse(readFileSync(path.join(cwd, 'd', 'lvis_v1_train_synth.json'), 'utf8'));
    assert.equal(file.info.generator.cooccurrence, 'scenes');
    assert.equal(file.images.length, 300);
    const annotated = new Set(file.annotations.map((a: { image_id: number }) => a.image_id)).size;
    assert.equal(300 - annotated, Math.round(300 * SCENES.emptyImageFraction));
    const plain = await run(['--out', 'd', '--images', '300', '--val-images', '0', '--quiet']);
    assert.equal(JSON.parse(readFileSync(path.join(plain.cwd, 'd', 'lvis_v1_train_synth.json'), 'utf8')).info.generator.cooccurrence, undefined);
  });

  test('an unknown model is a usage problem that names the flag and the choices', async () => {
    await assert.rejects(run(['--out', 'd', '--images', '10', '--cooccurrence', 'topic']), (err) => {
      assert.ok(err instanceof DiagnosticError);
      assert.equal(err.exitCode, 2);
      assert.match(err.diagnostics[0]!.message, /--cooccurrence must be one of topics, scenes, got "topic"/);
      return true;
    });
  });
});
