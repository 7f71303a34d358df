/** The generated reference (docs/reference/) matches the code it is generated from. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { referenceFiles } from '../scripts/reference.js';

it('docs/reference is up to date with the code (if not: npm run docs)', async () => {
  const files = await referenceFiles();
  assert.ok(files.size >= 2);
  for (const [file, text] of files) {
    const committed = readFileSync(file, 'utf8');
    assert.ok(committed === text, `${path.basename(file)} is stale: run \`npm run docs\` and commit it`);
  }
  // It says which value applies where the shipped pipeline overrides a declared default.
  const steps = [...files.entries()].find(([f]) => f.endsWith('steps.md'))![1];
  assert.match(steps, /\| `sample` \(greedy-sample\) \| `total_images` \| `1000` \| `25000` \|/);
});
