/**
 * The runner's overhead on a no-op run: a second `lvis-pipe run` with nothing changed must
 * be all cache hits, well under a second beyond Node's start-up, even when a step reads a
 * ~1 GB file and an artifact is ~100 MB (the stat cache spares re-hashing the file; hits
 * decode nothing and do not re-hash store objects; the materialized output file is checked
 * through the stat cache).
 *
 * The pipeline (generic bench steps, below):
 *   read   reads the head of the full-scale train file (a file option: its ~1 GB content
 *          digest is in the key)
 *   blob   makes a 100 MB value artifact from it
 *   copy   writes the blob to a file output materialized at out/blob.bin (100 MB)
 *   sum    a small digest of the blob
 *
 * Measured, in the same run: the median wall time of the no-op `run` (a child process,
 * like a user's), and of `node -e 0` (Node's start-up), over `repeats` runs each.
 *
 * Exported for bench/run.ts (`npm run bench`); also runs alone:
 *   node dist/bench/runner-overhead.js [--repeats N]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../src/cli.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import type { ArtifactKind, StepModule } from '../src/runner/step/step.js';
import { ensureFullScaleData } from './make-data.js';

const BYTES: ArtifactKind<Uint8Array> = { name: 'bytes', storage: 'value', encode: (v) => v, decode: (b) => b };

const read: StepModule<{ path: string }, Record<string, never>, { head: Uint8Array }> = {
  type: 'bench-read',
  version: 1,
  description: 'reads the first KB of a file',
  optionsSchema: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string' } } },
  inputs: {},
  outputs: { head: { kind: 'bytes' } },
  fileOptions: ['path'],
  kinds: [BYTES],
  async run(ctx) {
    const buf = new Uint8Array(1024);
    const fd = openSync(ctx.options.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    return { head: buf };
  },
};

const blob: StepModule<{ mb: number }, { head: Uint8Array }, { blob: Uint8Array }> = {
  type: 'bench-blob',
  version: 1,
  description: 'a large value artifact',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { mb: { type: 'integer', default: 100 } } },
  inputs: { head: { kind: 'bytes' } },
  outputs: { blob: { kind: 'bytes' } },
  async run(ctx) {
    const out = new Uint8Array(ctx.options.mb * 1024 * 1024);
    for (let i = 0; i < out.length; i += 4096) out[i] = ctx.inputs.head[(i >> 12) % ctx.inputs.head.length]!;
    return { blob: out };
  },
};

const copy: StepModule<{ out?: string }, { blob: Uint8Array }, Record<string, never>> = {
  type: 'bench-copy',
  version: 1,
  description: 'writes an artifact to a user-facing file',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { out: { type: 'string' } } },
  inputs: { blob: { kind: 'bytes' } },
  outputs: { file: { kind: 'file', pathOption: 'out' } },
  async run(ctx) {
    writeFileSync(ctx.outputFile('file'), ctx.inputs.blob);
    return {};
  },
};

const sum: StepModule<Record<string, never>, { blob: Uint8Array }, { digest: Uint8Array }> = {
  type: 'bench-sum',
  version: 1,
  description: 'a digest of an artifact',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  inputs: { blob: { kind: 'bytes' } },
  outputs: { digest: { kind: 'bytes' } },
  async run(ctx) {
    return { digest: createHash('sha256').update(ctx.inputs.blob).digest() };
  },
};

export const BENCH_STEPS: StepModule[] = [read, blob, copy, sum];

export interface RunnerOverheadResult {
  inputFile: string;
  inputBytes: number;
  firstRunSeconds: number;
  noopRunMs: number;
  nodeStartMs: number;
  overheadMs: number;
  runCpuMs: number;
  nodeCpuMs: number;
  markdown: string;
}

/**
 * Runs `node ARGS` and returns its wall time and its own CPU time (user + system, printed
 * by the child at exit): on a busy machine wall time includes waiting for a core, CPU time
 * does not.
 */
function measure(args: string[], cwd: string): { wallMs: number; cpuMs: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', CPU_REPORTER, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  const m = /cpu-us (\d+)/.exec(r.stderr.toString());
  return { wallMs, cpuMs: m ? Number(m[1]) / 1000 : NaN };
}

const CPU_REPORTER = 'data:text/javascript,' + encodeURIComponent("process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('cpu-us '+(u.user+u.system)+'\\n')})");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchRunnerOverhead(opts: { repeats?: number } = {}): Promise<RunnerOverheadResult> {
  const repeats = opts.repeats ?? 7;
  const { train } = await ensureFullScaleData();
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-'));
  try {
    const pipeline = path.join(dir, 'bench.yaml');
    writeFileSync(
      pipeline,
      [
        'steps:',
        `  read: { type: bench-read, options: { path: ${JSON.stringify(train)} } }`,
        '  blob: { type: bench-blob, inputs: { head: read }, options: { mb: 100 } }',
        '  copy: { type: bench-copy, inputs: { blob: blob }, options: { out: out/blob.bin } }',
        '  sum: { type: bench-sum, inputs: { blob: blob } }',
        '',
      ].join('\n'),
    );
    const self = fileURLToPath(import.meta.url);
    const args = [self, '--cli', 'run', pipeline, '--quiet'];
    const t0 = process.hrtime.bigint();
    measure(args, dir); // first run: hashes the input, writes ~200 MB of artifacts
    const firstRunSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    measure(args, dir); // warm the OS file cache and the compiled validator
    const run: { wallMs: number; cpuMs: number }[] = [];
    const node: { wallMs: number; cpuMs: number }[] = [];
    for (let i = 0; i < repeats; i++) {
      node.push(measure(['-e', '0'], dir));
      run.push(measure(args, dir));
    }
    const noopRunMs = median(run.map((r) => r.wallMs));
    const nodeStartMs = median(node.map((r) => r.wallMs));
    const overheadMs = noopRunMs - nodeStartMs;
    const runCpuMs = median(run.map((r) => r.cpuMs));
    const nodeCpuMs = median(node.map((r) => r.cpuMs));
    const inputBytes = statSync(train).size;
    const markdown = [
      '| | no-op `lvis-pipe run` (all hits) | Node start-up (`node -e 0`) | overhead |',
      '|---|---|---|---|',
      `| wall time | ${noopRunMs.toFixed(0)} ms | ${nodeStartMs.toFixed(0)} ms | ${overheadMs.toFixed(0)} ms (${(noopRunMs / nodeStartMs).toFixed(1)}× start-up) |`,
      `| CPU time (user+sys) | ${runCpuMs.toFixed(0)} ms | ${nodeCpuMs.toFixed(0)} ms | ${(runCpuMs - nodeCpuMs).toFixed(0)} ms (${(runCpuMs / nodeCpuMs).toFixed(1)}× start-up) |`,
      '',
      `Pipeline: a step reading ${path.basename(train)} (${(inputBytes / 1e9).toFixed(2)} GB, a file option hashed into its key), a 100 MB value artifact, ` +
        `a 100 MB output file materialized at out/blob.bin, and a digest step; medians of ${repeats} runs of each. ` +
        `The first run (hashing the input, storing ~200 MB) took ${firstRunSeconds.toFixed(1)} s.`,
    ].join('\n');
    return { inputFile: train, inputBytes, firstRunSeconds, noopRunMs, nodeStartMs, overheadMs, runCpuMs, nodeCpuMs, markdown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain && process.argv[2] === '--cli') {
  // The bench's own CLI: the real main() with the bench steps (worker threads can re-import them from here).
  const registry = new StepRegistry(BENCH_STEPS, { moduleUrl: import.meta.url, exportName: 'BENCH_STEPS' });
  process.exitCode = await main(process.argv.slice(3), { registry });
} else if (isMain) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--repeats');
  const r = await benchRunnerOverhead(at >= 0 ? { repeats: Number(args[at + 1]) } : {});
  process.stdout.write(r.markdown + '\n');
}
