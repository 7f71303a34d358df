/**
 * What reading a `.json.zip` costs against the same JSON plain and gzipped: `load` of the
 * full-scale synthetic val (190 MB of JSON; bench/make-data.ts) from each, the median of 3 runs
 * in this process, with the file hashed as it is read (as a first run does). The zip is written
 * here (deflate level 6, as Info-ZIP's default); its CRC-32 and size are checked by zlib as it
 * inflates (src/lvis/source/input-plan.ts).
 *
 *   node dist/bench/zip-load.js          (also part of `npm run bench`)
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { loadDataset } from '../src/lvis/load/load.js';
import { zipOf } from '../test/helpers/zip-writer.js';
import { ensureFullScaleData } from './make-data.js';

const data = await ensureFullScaleData();
const work = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-zip-'));
try {
  const text = readFileSync(data.val);
  const gz = path.join(work, 'val.json.gz');
  const zip = path.join(work, 'val.json.zip');
  writeFileSync(gz, gzipSync(text, { level: 6 }));
  writeFileSync(zip, zipOf('lvis_v1_val.json', text, deflateRawSync(text, { level: 6 })));
  const rows: string[] = [];
  let plainSeconds = 0;
  for (const [what, file] of [['plain JSON', data.val], ['.json.gz', gz], ['.json.zip (deflate)', zip]] as const) {
    const runs: { s: number; cpu: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await loadDataset(file, { hash: true });
      const c = process.cpuUsage(c0);
      runs.push({ s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 });
    }
    runs.sort((a, b) => a.s - b.s);
    const m = runs[1]!;
    if (what === 'plain JSON') plainSeconds = m.s;
    rows.push(`| ${what} | ${(statSync(file).size / 1e6).toFixed(0)} MB | ${m.s.toFixed(2)} s | ${m.cpu.toFixed(2)} s | ${(text.length / 1e6 / m.s).toFixed(0)} | ${(m.s / plainSeconds).toFixed(2)}× |`);
  }
  process.stdout.write(`### \`load\` of the ${(text.length / 1e6).toFixed(0)} MB val, hashed as it is read (median of 3)\n\n`);
  process.stdout.write('| input | on disk | wall | CPU (all threads) | MB/s of JSON | vs plain |\n|---|---|---|---|---|---|\n');
  process.stdout.write(rows.join('\n') + '\n\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
