/**
 * Where the pipeline validator comes from: the one `npm run build` compiled (dist/validators/),
 * else the cache folder's, else a fresh compile kept in the cache folder. A cold cache folder
 * with the built-in steps never runs ajv.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PREBUILT_VALIDATORS } from '../src/commands/common.js';
import { buildPipelineSchema } from '../src/runner/pipeline/schema.js';
import { compileSchema, validatorFileName } from '../src/runner/pipeline/validator-cache.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';
import type { JsonSchema } from '../src/runner/step/step.js';

const dir = mkdtempSync(path.join(tmpdir(), 'lvis-validators-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const builtIn = buildPipelineSchema(new StepRegistry(STEP_MODULES), { paramRefs: false });
const small: JsonSchema = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] };

describe('the compiled pipeline validator', () => {
  it('npm run build compiled the built-in steps’ schema into dist/validators/', () => {
    assert.deepEqual(readdirSync(PREBUILT_VALIDATORS), [validatorFileName(builtIn)]);
  });

  it('the prebuilt one is used first: the cache folder stays empty, and it validates', () => {
    const cache = path.join(dir, 'c1');
    const v = compileSchema(builtIn, { prebuilt: PREBUILT_VALIDATORS, cache });
    assert.equal(existsSync(cache), false);
    assert.equal(v({ steps: { t: { type: 'load', options: { path: 'a.json' } } } }), true);
    assert.equal(v({ steps: { t: { type: 'load', options: { path: 'a.json', nope: 1 } } } }), false);
    assert.ok(v.errors?.length);
  });

  it('a schema that was not prebuilt (other steps) is compiled once into the cache folder', () => {
    const cache = path.join(dir, 'c2');
    const v = compileSchema(small, { prebuilt: PREBUILT_VALIDATORS, cache });
    assert.deepEqual(readdirSync(cache), [validatorFileName(small)]);
    assert.equal(v({ n: 2 }), true);
    assert.equal(v({ n: 0 }), false);
    const again = compileSchema(small, { prebuilt: PREBUILT_VALIDATORS, cache });
    assert.equal(again({ n: 0 }), false);
  });

  it('a damaged prebuilt validator is passed over (compiled instead), never executed', () => {
    const prebuilt = path.join(dir, 'p3');
    const cache = path.join(dir, 'c3');
    mkdirSync(prebuilt);
    compileSchema(small, { cache: prebuilt });
    const file = path.join(prebuilt, validatorFileName(small));
    // Valid code that accepts everything, but not what was sealed: it must not be used.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/return errors === 0;?/, 'return true;'));
    const v = compileSchema(small, { prebuilt, cache });
    assert.equal(v({ n: 0 }), false);
    assert.deepEqual(readdirSync(cache), [validatorFileName(small)]);
  });
});
