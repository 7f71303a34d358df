/**
 * Test support for the write / prune step tests: a StepContext like the runner's (options
 * with the schema's defaults applied by ajv, a fresh output path per file output, collected
 * log lines), and small file helpers.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { StepContext, StepModule } from '../src/runner/step/step.js';
import { type ProgressReporter } from '../src/base/progress.js';

export interface TestContext<O, I> extends StepContext<O, I> {
  logs: string[];
  outputs: Map<string, string>;
}

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed when the test process exits. */
export function tempDir(prefix = 'lvis-pipe-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

const quietProgress: ProgressReporter = { start() {}, update() {}, done() {} };

/** Runs `step` the way the runner does: options validated and defaulted, outputs in a temp folder. */
export async function runStep<O, I, R>(
  step: StepModule<O, I, R>,
  options: Record<string, unknown>,
  inputs: I,
  dir = tempDir(),
): Promise<{ result: R; ctx: TestContext<O, I> }> {
  const opts = structuredClone(options);
  const ajv = new Ajv({ useDefaults: true, strict: false });
  const validate = ajv.compile(step.optionsSchema);
  if (!validate(opts)) throw new Error(`bad options for ${step.type}: ${ajv.errorsText(validate.errors)}`);
  const outputs = new Map<string, string>();
  const ctx: TestContext<O, I> = {
    stepId: `test-${step.type}`,
    options: opts as O,
    inputs,
    progress: quietProgress,
    logs: [],
    log(message) {
      this.logs.push(message);
    },
    signal: new AbortController().signal,
    outputFile(name) {
      const p = join(dir, `${name}.output`);
      outputs.set(name, p);
      return p;
    },
    tempDir: dir,
    fileDigests: {},
    outputs,
  };
  const result = await step.run(ctx);
  return { result, ctx };
}

/** Files in `dir` (to check that a failed step left nothing behind). */
export function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}
