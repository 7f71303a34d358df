/**
 * `npm run docs`: regenerates docs/reference/commands.md, steps.md and step-types.md from the
 * code (src/commands/reference.ts). `--check` exits 1 instead of writing when they are stale.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandsReference, stepsReference, stepTypesReference } from '../src/commands/reference.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';

const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const DIR = path.join(ROOT, 'docs/reference');

export async function referenceFiles(): Promise<Map<string, string>> {
  const registry = new StepRegistry(STEP_MODULES);
  return new Map([
    [path.join(DIR, 'commands.md'), await commandsReference()],
    [path.join(DIR, 'steps.md'), stepsReference(registry, path.join(ROOT, 'pipelines/mini-lvis.yaml'), ROOT)],
    [path.join(DIR, 'step-types.md'), stepTypesReference(registry, path.join(ROOT, 'pipelines/mini-lvis.yaml'))],
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  await mkdir(DIR, { recursive: true });
  for (const [file, text] of await referenceFiles()) {
    const now = await readFile(file, 'utf8').catch(() => '');
    if (now === text) continue;
    stale++;
    if (check) process.stderr.write(`${path.relative(ROOT, file)} is stale: run npm run docs\n`);
    else await writeFile(file, text);
  }
  if (!check) process.stdout.write(`docs/reference: ${stale} file(s) written\n`);
  process.exitCode = check && stale ? 1 : 0;
}
