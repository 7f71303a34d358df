/**
 * Warm reruns and disk use (issue 17, points 2 and 3), on the full-scale synthetic data with
 * pipelines/mini-lvis.yaml, each `lvis-pipe run` a child process like a user's:
 *
 * 1. a cold run at total_images=10000 (empty cache), then a rerun at total_images=2000 on
 *    that cache: the rerun's wall time as a ratio of the cold run's, with each step's time;
 * 2. in a fresh cache: a 2,000-image run, then a 3-variant sweep (seed=1,2,3): `du -scb` of the
 *    cache and every output folder together, against the bytes of the distinct output files
 *    (unique content among every file under out/); then the same after
 *    `lvis-pipe cache gc --drop-intermediate`, and the time of the 2,000-image rerun after it
 *    (which computes the dropped steps again).
 *
 * Exported for bench/run.ts (`npm run bench`); also runs alone: node dist/bench/rerun.js
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureFullScaleData } from './make-data.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = path.join(root, 'bin/lvis-pipe.js');

interface Timed {
  wallS: number;
  steps: { id: string; status: string; ms: number }[];
}

function lvisPipe(args: string[]): Timed {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`lvis-pipe ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  const finish = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; steps?: { id: string; status: string; durationMs: number }[] })
    .find((e) => e.type === 'run-finish' || e.type === 'sweep-finish');
  return { wallS, steps: (finish?.steps ?? []).map((s) => ({ id: s.id, status: s.status, ms: s.durationMs })) };
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

async function main(): Promise<void> {
  const data = await ensureFullScaleData();
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-rerun-'));
  const inputs = ['--set', `train_json=${data.train}`, '--set', `val_json=${data.val}`, '--set', `preds_json=${data.preds}`];
  try {
    // 1. Cold 10k, then 2k on that cache.
    const a = ['run', 'pipelines/mini-lvis.yaml', '--cache-dir', path.join(dir, 'c1'), '--set', `out_dir=${path.join(dir, 'out1')}`, ...inputs];
    const cold = lvisPipe([...a, '--set', 'total_images=10000']);
    const warm = lvisPipe([...a, '--set', 'total_images=2000']);
    const noop = lvisPipe([...a, '--set', 'total_images=2000']);
    console.log('Warm rerun: `lvis-pipe run pipelines/mini-lvis.yaml` on the full-scale synthetic data, a child process each.\n');
    console.log('| run | wall | vs cold |');
    console.log('|---|---|---|');
    console.log(`| cold, total_images=10000 (empty cache) | ${cold.wallS.toFixed(2)} s | 1 |`);
    console.log(`| rerun at total_images=2000 | ${warm.wallS.toFixed(2)} s | **${(warm.wallS / cold.wallS).toFixed(3)}** |`);
    console.log(`| no-op rerun (nothing changed) | ${noop.wallS.toFixed(2)} s | ${(noop.wallS / cold.wallS).toFixed(3)} |`);
    console.log('\nThe rerun\'s steps that ran (time from start to finish, as the run reports it; the rest were cache hits):\n');
    console.log(warm.steps.filter((s) => s.status === 'ran').map((s) => `${s.id} ${(s.ms / 1000).toFixed(2)} s`).join(', '));

    // 2. Disk: a 2k run and a 3-seed sweep in a fresh cache.
    const cache = path.join(dir, 'c2');
    const out = path.join(dir, 'out2');
    const b = ['pipelines/mini-lvis.yaml', '--cache-dir', cache, '--set', `out_dir=${out}`, '--set', 'total_images=2000', ...inputs];
    lvisPipe(['run', ...b]);
    lvisPipe(['sweep', ...b, '--grid', 'seed=1,2,3']);
    const duNow = () => Number(execFileSync('du', ['-scb', cache, out], { encoding: 'utf8' }).trim().split('\n').at(-1)!.split('\t')[0]);
    const du = duNow();
    const seen = new Map<string, number>();
    for (const f of files(out)) seen.set(createHash('sha256').update(readFileSync(f)).digest('hex'), statSync(f).size);
    const distinct = [...seen.values()].reduce((x, y) => x + y, 0);
    const objects = files(path.join(cache, 'objects'));
    const outputDigests = new Set(seen.keys());
    const notOutputs = objects.filter((f) => !outputDigests.has(path.basename(f))).map((f) => ({ f, size: statSync(f).size })).sort((x, y) => y.size - x.size);
    // The opt-in: drop the results of the steps without output files, then rerun the 2k run.
    execFileSync(process.execPath, [bin, 'cache', 'gc', '--cache-dir', cache, '--drop-intermediate'], { cwd: root });
    const duDropped = duNow();
    const afterDrop = lvisPipe(['run', ...b]);
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    console.log('\nDisk: a 2,000-image run, then `lvis-pipe sweep ... --grid seed=1,2,3`, in a fresh cache.\n');
    console.log('| what | bytes |');
    console.log('|---|---|');
    console.log(`| \`du -scb\` of the cache and the output folder (sweep variants inside it) | ${mb(du)} |`);
    console.log(`| distinct output files (unique content under out/) | ${mb(distinct)} |`);
    console.log(`| ratio | **${(du / distinct).toFixed(2)}×** |`);
    console.log(`| cached objects that are no output file (${notOutputs.length}) | ${mb(notOutputs.reduce((x, o) => x + o.size, 0))}: largest ${notOutputs.slice(0, 3).map((o) => mb(o.size)).join(', ')} |`);
    console.log(`| after \`lvis-pipe cache gc --drop-intermediate\`: \`du -scb\` | ${mb(duDropped)} |`);
    console.log(`| ratio after it | **${(duDropped / distinct).toFixed(2)}×** |`);
    console.log(`| the 2,000-image run after it (computes the dropped steps again) | ${afterDrop.wallS.toFixed(2)} s |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
