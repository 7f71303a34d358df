/** Workspaces and CLI drivers for the runner tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import type { RunEvent } from '../../src/runner/exec/events.js';
import type { StepRegistry } from '../../src/runner/step/registry.js';
import { type HistoryRecord } from '../../src/runner/cache/records.js';
import { type RunRecord } from '../../src/runner/cache/records.js';
import { testRegistry } from './runner-steps.js';

export const CLI_ENTRY = fileURLToPath(new URL('./runner-cli.js', import.meta.url));

export class Workspace {
  readonly dir: string;
  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-test-'));
  }
  path(...p: string[]): string {
    return path.join(this.dir, ...p);
  }
  write(name: string, content: string): string {
    const p = this.path(name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  }
  read(name: string): string {
    return readFileSync(this.path(name), 'utf8');
  }
  get cacheDir(): string {
    return this.path('.lvis-pipe');
  }
  /** Every history record, oldest first. */
  history(cacheDir = this.cacheDir): HistoryRecord[] {
    const dir = path.join(cacheDir, 'history');
    return readdirSync(dir)
      .sort()
      .map((n) => JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as HistoryRecord);
  }
  lastRun(cacheDir = this.cacheDir): HistoryRecord {
    const h = this.history(cacheDir);
    if (!h.length) throw new Error('no runs in history');
    return h[h.length - 1]!;
  }
  /** Every run record of every key. */
  records(cacheDir = this.cacheDir): RunRecord[] {
    const runs = path.join(cacheDir, 'runs');
    let keys: string[];
    try {
      keys = readdirSync(runs);
    } catch {
      return [];
    }
    return keys.flatMap((k) => readdirSync(path.join(runs, k)).map((n) => JSON.parse(readFileSync(path.join(runs, k, n), 'utf8')) as RunRecord));
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** For `run --json`: the events. */
  events: RunEvent[];
}

/** Runs the CLI in-process (no signal handlers) with the test registry. */
export async function runCli(args: string[], opts: { cwd: string; registry?: StepRegistry }): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { registry: opts.registry ?? testRegistry(), stdout, stderr, cwd: opts.cwd, interactive: false, handleSignals: false });
  const events = args[0] === 'run' && args.includes('--json')
    ? stdout.text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as RunEvent)
    : [];
  return { code, stdout: stdout.text, stderr: stderr.text, events };
}

/** Step id → status of the run-finish event. */
export function statuses(events: RunEvent[]): Record<string, string> {
  const fin = events.find((e) => e.type === 'run-finish');
  if (!fin || fin.type !== 'run-finish') throw new Error('no run-finish event');
  return Object.fromEntries(fin.steps.map((s) => [s.id, s.status]));
}

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the test CLI as a child process. */
export function spawnCli(args: string[], cwd: string): Spawned {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Polls until `cond()` is true (no timing assertions: only a generous upper bound). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
