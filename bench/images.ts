/**
 * Benchmark of the images step's two jobs, on full-scale synthetic data (bench/make-data.ts):
 *
 *   placing   10,000 train images of the synthetic train and the 19,809 images of the val, by
 *             hard link from a COCO-like folder: cold (empty images folder), warm (all in place:
 *             what every cache hit costs) and after a new subset; baseline in the same run: a
 *             bare fs.linkSync loop over the same files.
 *   download  2,000 images (160 kB on average, 320 MB) from a local HTTP server in another
 *             process, 16 at once: wall, files/s, MB/s and the client's CPU seconds; baselines in
 *             the same run: a bare keep-alive client with the same concurrency that reads and
 *             drops the bodies, and `wget -i` on the manifest. Then where the time goes.
 *
 *   node dist/bench/images.js [--only placing|download]     (also part of `npm run bench`)
 */
import { spawn, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { jpegProblem } from '../src/lvis/images/jpeg.js';
import { baseUrl, imageUrl, manifestText } from '../src/lvis/images/manifest.js';
import { distinctImages, imageList, type ImagePlan, type ImageRef } from '../src/lvis/images/plan.js';
import { readImageRecords } from '../src/lvis/images/read-images.js';
import { syncImages } from '../src/lvis/images/sync-images.js';
import { SeededRandom } from '../src/lvis/sampler/random.js';
import { benchCatalog } from './image-server.js';
import { ensureFullScaleData } from './make-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-images-'));
const quiet = { log: () => {}, signal: new AbortController().signal };

async function timed<T>(run: () => Promise<T> | T): Promise<{ value: T; s: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const c = process.cpuUsage(c0);
  return { value, s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const f2 = (x: number) => x.toFixed(2);

/** A plan: `n` train images picked at random (seeded) from the train file, and the whole val. */
function planOf(train: ImageRef[], val: ImageRef[], n: number, seed: number): ImagePlan {
  const rng = new SeededRandom(seed);
  const picked = train.map((r) => [rng.int(1 << 30), r] as const).sort((a, b) => a[0] - b[0]).slice(0, n).map(([, r]) => r);
  const list = (label: string, images: ImageRef[]) => ({ label, images, withoutUrl: { count: 0, firstIds: [] } });
  return { train: list('the subset', picked), val: list('the pruned val', val) };
}

async function placing(trainFile: string, valFile: string): Promise<void> {
  const readTrain = await timed(() => readImageRecords(trainFile));
  const readVal = await timed(() => readImageRecords(valFile));
  const train = imageList('train', readTrain.value).images;
  const val = imageList('val', readVal.value).images;
  const plan = planOf(train, val, 10_000, 1);
  const next = planOf(train, val, 10_000, 2);
  const all = distinctImages({ train: { label: '', images: train, withoutUrl: { count: 0, firstIds: [] } }, val: plan.val! });
  const root = path.join(work, 'coco');
  for (const r of all) {
    mkdirSync(path.join(root, r.split), { recursive: true });
    writeFileSync(path.join(root, r.split, r.file), 'x'.repeat(2048)); // a link's cost does not depend on the size
  }
  const files = distinctImages(plan);
  const bare = await timed(() => {
    const dir = path.join(work, 'bare');
    for (const s of new Set(files.map((r) => r.split))) mkdirSync(path.join(dir, s), { recursive: true });
    for (const r of files) linkSync(path.join(root, r.split, r.file), path.join(dir, r.split, r.file));
  });
  const dir = path.join(work, 'out', 'images');
  const cold = await timed(() => syncImages(plan, { dir, imagesRoot: root, ...quiet }));
  const warm = await timed(() => syncImages(plan, { dir, imagesRoot: root, ...quiet }));
  const changed = await timed(() => syncImages(next, { dir, imagesRoot: root, ...quiet }));
  const before = new Set(plan.train.images.map((r) => r.file));
  const moved = next.train.images.filter((r) => !before.has(r.file)).length;
  const per1k = (s: number, n: number) => `${((s / n) * 1000 * 1000).toFixed(0)} ms`;
  process.stdout.write(`### Placing ${files.length.toLocaleString('en-US')} images by hard link (10,000 train + ${plan.val!.images.length.toLocaleString('en-US')} val)\n\n`);
  process.stdout.write('| what | wall | CPU | per 1,000 files | vs bare links |\n|---|---|---|---|---|\n');
  process.stdout.write(`| read the image records: train (${readTrain.value.length.toLocaleString('en-US')}) + val | ${f2(readTrain.s)} + ${f2(readVal.s)} s | ${f2(readTrain.cpu + readVal.cpu)} s | – | – |\n`);
  process.stdout.write(`| bare \`fs.linkSync\` loop (baseline) | ${f2(bare.s)} s | ${f2(bare.cpu)} s | ${per1k(bare.s, files.length)} | 1× |\n`);
  process.stdout.write(`| **placing, cold** (empty folder) | **${f2(cold.s)} s** | ${f2(cold.cpu)} s | **${per1k(cold.s, files.length)}** | ${(cold.s / bare.s).toFixed(1)}× |\n`);
  process.stdout.write(`| **nothing to do** (a cache hit) | **${f2(warm.s)} s** | ${f2(warm.cpu)} s | ${per1k(warm.s, files.length)} | ${(warm.s / bare.s).toFixed(1)}× |\n`);
  process.stdout.write(`| a new 10,000-image subset (${moved.toLocaleString('en-US')} images out, as many in) | ${f2(changed.s)} s | ${f2(changed.cpu)} s | ${per1k(changed.s, moved)} (per 1,000 images changed) | – |\n\n`);
}

function startServer(n: number): Promise<{ port: number; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'image-server.js'), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', (d: Buffer) => resolve({ port: (JSON.parse(d.toString()) as { port: number }).port, stop: () => child.kill() }));
    child.once('error', reject);
  });
}

/** The floor: the same requests, 16 at once, bodies read and dropped. */
async function bareClient(urls: URL[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const limit = pLimit(16);
  let bytes = 0;
  await Promise.all(
    urls.map((u) =>
      limit(
        () =>
          new Promise<void>((resolve, reject) => {
            http.get(u, { agent }, (res) => {
              res.on('data', (c: Buffer) => (bytes += c.length));
              res.on('end', resolve);
            }).on('error', reject);
          }),
      ),
    ),
  );
  agent.destroy();
  return bytes;
}

async function downloading(): Promise<void> {
  const n = 2000;
  const catalog = benchCatalog(n);
  const server = await startServer(n);
  try {
    const base = baseUrl(`http://127.0.0.1:${server.port}/`);
    const refs: ImageRef[] = catalog.map((c) => ({ id: c.id, split: c.split, file: c.file, width: c.width, height: c.height }));
    const plan: ImagePlan = { train: { label: 'the subset', images: refs, withoutUrl: { count: 0, firstIds: [] } } };
    const urls = refs.map((r) => imageUrl(base, r));
    const floor = await timed(() => bareClient(urls));
    const manifest = path.join(work, 'urls.txt');
    writeFileSync(manifest, manifestText(base, refs));
    const wget = await timed(() => spawnSync('wget', ['-q', '-x', '-nH', '-P', path.join(work, 'wget'), '-i', manifest]));
    const dl = (name: string) => ({ dir: path.join(work, name, 'images'), download: { base, concurrency: 16, timeoutMs: 30_000, retries: 4, maxBytes: 32 << 20, backoffMs: 500, dataDir: path.join(work, 'data') }, ...quiet });
    const ours = await timed(() => syncImages(plan, dl('dl')));
    const again = await timed(() => syncImages(plan, dl('dl2')));
    // Where the time goes: the parts of the client's work, each on the same 2,000 bodies.
    const bodies = await Promise.all(urls.map((u) => fetch(u).then(async (r) => Buffer.from(await r.arrayBuffer()))));
    const check = await timed(() => refs.forEach((r, i) => jpegProblem(bodies[i]!, r.width, r.height)));
    const tmp = path.join(work, 'writes');
    mkdirSync(tmp);
    const write = await timed(async () => {
      for (let i = 0; i < n; i++) {
        await writeFile(path.join(tmp, `${i}.part`), bodies[i]!, { flag: 'wx', mode: 0o444 });
        await rename(path.join(tmp, `${i}.part`), path.join(tmp, `${i}.jpg`));
      }
    });
    const bytes = floor.value;
    const mb = bytes / 1e6;
    const row = (what: string, t: { s: number; cpu: number }, base?: number) =>
      `| ${what} | ${f2(t.s)} s | ${(n / t.s).toFixed(0)} | ${(mb / t.s).toFixed(0)} | ${f2(t.cpu)} s | ${base ? `${(t.s / base).toFixed(2)}×` : '–'} |\n`;
    process.stdout.write(`### Downloading ${n.toLocaleString('en-US')} images (${mb.toFixed(0)} MB) from a local server, 16 at once\n\n`);
    process.stdout.write('| what | wall | files/s | MB/s | client CPU | vs bare client |\n|---|---|---|---|---|---|\n');
    process.stdout.write(row('bare keep-alive client, bodies dropped (baseline)', floor));
    process.stdout.write(row('`wget -q -x -nH -i urls.txt` (one connection)', wget, floor.s));
    process.stdout.write(row('**images step: download, check, store, link**', ours, floor.s));
    process.stdout.write(row('rerun into a new folder (all in the store: links only)', again, floor.s));
    process.stdout.write(`\nWhere the client's time goes (the same ${n.toLocaleString('en-US')} bodies, one part at a time): JPEG checks ${f2(check.s)} s (CPU ${f2(check.cpu)} s); ` +
      `writing under a temp name and renaming, one at a time ${f2(write.s)} s (CPU ${f2(write.cpu)} s); the transfer itself is the bare client's ${f2(floor.s)} s.\n\n`);
  } finally {
    server.stop();
  }
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const data = await ensureFullScaleData();
try {
  if (only !== 'download') await placing(data.train, data.val);
  if (only !== 'placing') await downloading();
} finally {
  rmSync(work, { recursive: true, force: true });
}
