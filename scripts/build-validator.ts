/**
 * Part of `npm run build`: compiles the pipeline schema of the built-in steps into
 * `dist/validators/<hash>.cjs`, so that a run on a cold cache folder does not import and run
 * ajv (runner/pipeline/validator-cache.ts looks here first). Steps added by a plugin change the
 * schema's hash; such a registry compiles into its cache folder as before.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildPipelineSchema } from '../src/runner/pipeline/schema.js';
import { compileSchema } from '../src/runner/pipeline/validator-cache.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { PREBUILT_VALIDATORS } from '../src/commands/common.js';

export function buildValidator(dir: string = PREBUILT_VALIDATORS): void {
  rmSync(dir, { recursive: true, force: true }); // only the current schema's validator is kept
  compileSchema(buildPipelineSchema(new StepRegistry(STEP_MODULES), { paramRefs: false }), { cache: dir });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) buildValidator();
