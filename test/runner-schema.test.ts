/**
 * The committed schemas/pipeline.schema.json is the schema composed from the project's
 * step registry (regenerate it with `npm run schema` when a step's options change), and
 * every pipeline in pipelines/ points editors at it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StepRegistry } from '../src/runner/step/registry.js';
import { buildPipelineSchema } from '../src/runner/pipeline/schema.js';
import { STEP_MODULES } from '../src/steps/index.js';

const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const MODELINE = '# yaml-language-server: $schema=../schemas/pipeline.schema.json';

describe('committed pipeline schema', () => {
  it('is up to date with the step registry (if not: npm run schema)', () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'schemas/pipeline.schema.json'), 'utf8')) as unknown;
    const current = buildPipelineSchema(new StepRegistry(STEP_MODULES), { paramRefs: true });
    assert.deepEqual(committed, current, 'schemas/pipeline.schema.json is stale: run `npm run schema` and commit it');
  });

  it('every pipelines/*.yaml starts with the yaml-language-server line', () => {
    const files = readdirSync(path.join(ROOT, 'pipelines')).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
    for (const f of files) {
      const first = readFileSync(path.join(ROOT, 'pipelines', f), 'utf8').split('\n')[0];
      assert.equal(first, MODELINE, `pipelines/${f}`);
    }
  });
});
