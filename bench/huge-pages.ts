/**
 * What glibc's transparent huge pages do for lvis-pipe: the same commands, as a user types
 * them, with and without `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` (glibc ≥ 2.35 then asks the
 * kernel for 2 MB pages for its large allocations: lvis-pipe's columns, windows and mask stores),
 * alternating, in one run:
 *   - a cold `lvis-pipe run pipelines/mini-lvis.yaml --only train` on the full-scale synthetic
 *     train (~1 GB; hashing, loading and caching it), in a fresh cache folder each time;
 *   - `lvis-pipe evaluate GT PREDS --iou-type segm` on eval-masks' 3,000 images (184k RLE
 *     detections), and on the full-scale val with 1.2M RLE detections.
 * Each run is a whole process under /usr/bin/time (wall, peak RSS). The setting helps only on
 * Linux with the kernel's THP in `madvise` mode (Debian's and Ubuntu's default; in `always`
 * mode every process has them already, in `never` none can); the run says which mode it found.
 *
 *   node dist/bench/huge-pages.js [--repeats N]      (also: npm run bench -- --only huge-pages)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureMaskData } from './eval-masks.js';
import { HUGE_PAGES_TUNABLE, hugePagesEnv, hugePagesUnavailable } from './huge-pages-env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'bin/lvis-pipe.js');

interface Timed {
  seconds: number;
  peakRssMB: number;
}

interface Workload {
  name: string;
  /** The CLI's arguments, in a fresh work folder. */
  args: (work: string) => string[];
}

/** One whole CLI process under /usr/bin/time, with or without the tunable. */
function timeCli(args: string[], huge: boolean): Timed {
  const env = { ...hugePagesEnv(huge), CI: '1' };
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, CLI, ...args], { encoding: 'utf8', env, cwd: ROOT, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`huge-pages: cannot run /usr/bin/time (${r.error.message}); it times each process and reads its peak RSS`);
  if (r.status !== 0) throw new Error(`huge-pages: lvis-pipe ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const [seconds, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: seconds!, peakRssMB: kb! / 1024 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchHugePages(args: string[], log: (line: string) => void): Promise<string> {
  const repeatsAt = args.indexOf('--repeats');
  const repeats = repeatsAt >= 0 ? Number(args[repeatsAt + 1]) : 3;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`huge-pages: --repeats needs a whole number ≥ 1, got ${args[repeatsAt + 1]}`);
  const { unavailable, found } = hugePagesUnavailable();
  if (unavailable) return `Not measured: ${unavailable}.`;
  const { ensureFullScaleData } = await import('./make-data.js');
  const full = await ensureFullScaleData(log);
  const masks = await ensureMaskData(log);
  const workloads: Workload[] = [
    {
      name: 'cold `run pipelines/mini-lvis.yaml --only train`, full-scale train (958 MB)',
      args: (work) => ['run', 'pipelines/mini-lvis.yaml', '--cache-dir', path.join(work, 'cache'), '--set', `train_json=${full.train}`, '--set', `out_dir=${path.join(work, 'out')}`, '--only', 'train', '--quiet'],
    },
    { name: '`evaluate --iou-type segm`, 3,000 images, 184k RLE detections', args: (work) => ['evaluate', masks.smallGt, masks.smallPreds, '--iou-type', 'segm', '--out', path.join(work, 'eval.json'), '--quiet'] },
    { name: '`evaluate --iou-type segm`, full-scale val, 1.2M RLE detections', args: (work) => ['evaluate', masks.fullGt, masks.fullPreds, '--iou-type', 'segm', '--out', path.join(work, 'eval.json'), '--quiet'] },
  ];
  const lines = [
    `${found}. Each command as a whole process under \`/usr/bin/time\`, ${repeats} times without and ${repeats} times with \`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}\`, alternating; medians.`,
    '',
    '| command | without | with | time with / without | peak RSS without → with |',
    '|---|---|---|---|---|',
  ];
  for (const w of workloads) {
    const runs: Record<'plain' | 'huge', Timed[]> = { plain: [], huge: [] };
    for (let k = 0; k < repeats; k++) {
      for (const kind of ['plain', 'huge'] as const) {
        const work = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-huge-'));
        try {
          runs[kind].push(timeCli(w.args(work), kind === 'huge'));
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
        log(`huge-pages: ${w.name}, ${kind} #${k + 1}: ${runs[kind].at(-1)!.seconds.toFixed(2)} s`);
      }
    }
    const plain = median(runs.plain.map((r) => r.seconds));
    const huge = median(runs.huge.map((r) => r.seconds));
    const rss = (xs: Timed[]) => median(xs.map((r) => r.peakRssMB)).toFixed(0);
    lines.push(`| ${w.name} | ${plain.toFixed(2)} s | ${huge.toFixed(2)} s | **${(huge / plain).toFixed(2)}** | ${rss(runs.plain)} → ${rss(runs.huge)} MB |`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.stdout.write((await benchHugePages(process.argv.slice(2), (line) => process.stderr.write(line + '\n'))) + '\n');
}
