/**
 * `npm run bench`: every benchmark, one child process each (so one's memory cannot inflate
 * another's peak RSS), in a fixed order, after making sure the full-scale synthetic data exists.
 * Each benchmark measures its baseline in the same run and prints its own Markdown table; this
 * script copies every output to bench/results/<name>.md so BENCHMARKS.md can be updated from it.
 *
 *   npm run bench                      # all of them (~17–22 minutes on 2 cores, the first time
 *                                      # plus ~2 minutes to generate bench/data/)
 *   npm run bench -- --only load,sampler
 *   npm run bench -- --skip sweep
 *   npm run bench -- --only growth     # opt-in: the growth curve to 1M images
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureFullScaleData } from './make-data.js';
import { HUGE_PAGES_TUNABLE } from './huge-pages-env.js';

const BENCHES = [
  { name: 'load', what: 'load step vs python json.load (speed, peak RSS), cache reload' },
  { name: 'sampler', what: 'incremental vs dense scoring, pool all + refinement, every strategy' },
  { name: 'sampler-density', what: 'issue 27: the default vs the original greedy and random on two generators at 1k–20k images, the density band’s trade-off chart (docs/img/), the sample step’s time at 10k' },
  { name: 'write-prune', what: 'write / prune-gt / prune-preds vs python json.load + json.dump' },
  { name: 'runner-overhead', what: 'no-op rerun (all cache hits) vs node start-up' },
  { name: 'sweep', what: '6-variant sweep vs 6 separate uncached runs' },
  { name: 'rerun', what: 'rerun at total_images=2000 after a cold 10k run (ratio of wall times); disk of a 2k run + a 3-variant sweep vs its distinct output files' },
  { name: 'eval', what: 'evaluate step: LVIS box AP on full-scale val at 50 detections per image and on the whole predictions file' },
  { name: 'eval-masks', what: 'evaluate step: LVIS mask AP vs lvis-api segm on 3,000 images (when LVIS_API and Python are there); peak RSS on val with 1.2M RLE detections' },
  { name: 'huge-pages', what: `GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE} (2 MB pages for large buffers) vs without: a cold run --only train on the full-scale train, mask AP on 3,000 images and on the val-sized case` },
  { name: 'zip-load', what: 'load of the full-scale val from plain JSON, .json.gz and .json.zip' },
  { name: 'images', what: 'images step: placing 10,000 train + 19,809 val images by hard link; downloading 2,000 images from a local server' },
  { name: 'growth', what: 'default pipeline at 25k/100k/400k/1M train images: time and peak RSS per step, fitted exponents (opt-in: --only growth; ~3 min, plus ~8 min and ~14 GB in /tmp/growth-data the first time)', optIn: true },
  { name: 'eval-masks-val', script: 'eval-masks', args: ['--api-val'], what: 'eval-masks, and lvis-api segm on the val-sized case too (opt-in: --only eval-masks-val; ~14 min more and ~17 GB of memory for the API)', optIn: true },
] as const;

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.resolve(here, '../../bench/results');

function runChild(script: string, args: readonly string[] = []): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString('utf8');
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, skip: { type: 'string' } } });
  const known = new Set<string>(BENCHES.map((b) => b.name));
  const only = values.only?.split(',').filter(Boolean);
  const skip = new Set(values.skip?.split(',').filter(Boolean) ?? []);
  for (const name of [...(only ?? []), ...skip]) {
    if (!known.has(name)) {
      process.stderr.write(`bench: unknown benchmark "${name}"; known: ${[...known].join(', ')}\n`);
      return 2;
    }
  }
  // Opt-in benchmarks (too long for every run) run only when named with --only.
  const selected = BENCHES.filter((b) => (only ? only.includes(b.name) : !('optIn' in b)) && !skip.has(b.name));

  await ensureFullScaleData();
  await mkdir(resultsDir, { recursive: true });
  const failed: string[] = [];
  for (const bench of selected) {
    process.stdout.write(`\n## ${bench.name}: ${bench.what}\n\n`);
    const started = Date.now();
    const { code, output } = await runChild(path.join(here, `${'script' in bench ? bench.script : bench.name}.js`), 'args' in bench ? bench.args : []);
    await writeFile(path.join(resultsDir, `${bench.name}.md`), output);
    process.stdout.write(`\n(${bench.name}: exit ${code}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    if (code !== 0) failed.push(bench.name);
  }
  process.stdout.write(`\nresults in ${path.relative(process.cwd(), resultsDir)}/; ${failed.length ? `failed: ${failed.join(', ')}` : 'all benchmarks finished'}\n`);
  return failed.length ? 1 : 0;
}

process.exitCode = await main();
