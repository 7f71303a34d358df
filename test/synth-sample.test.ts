import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { command } from '../src/commands/synth.js';
import { StepRegistry } from '../src/runner/step/registry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLE = path.join(ROOT, 'data', 'sample');
const FILES = ['lvis_v1_train_synth.json.gz', 'lvis_v1_val_synth.json.gz', 'preds_val_synth.json.gz'];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('the bundled sample is exactly what the command in data/sample/README.md makes', async () => {
  const readme = readFileSync(path.join(SAMPLE, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => l.startsWith('node bin/lvis-pipe.js synth '));
  assert.ok(line, 'README shows the command');
  const words = line.split(/\s+/);
  assert.deepEqual(words.slice(0, 3), ['node', 'bin/lvis-pipe.js', 'synth']);
  // Run in-process (the same code bin/lvis-pipe.js runs), so this test does not depend on the
  // rest of the CLI; test/synth-cli.test.ts covers the spawned CLI.
  const args = words.slice(3);
  const out = args.indexOf('--out');
  assert.equal(args[out + 1], 'data/sample');
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-sample-'));
  try {
    args[out + 1] = dir;
    const quiet = new Writable({ write: (_c, _e, cb) => cb() });
    const env = { registry: new StepRegistry([]), stdout: quiet, stderr: quiet, cwd: ROOT, interactive: false, handleSignals: false };
    assert.equal(await command.run(args, env), 0);
    for (const name of FILES) {
      const committed = gunzipSync(readFileSync(path.join(SAMPLE, name)));
      const made = gunzipSync(readFileSync(path.join(dir, name)));
      assert.equal(sha256(made), sha256(committed), `${name} differs from a fresh run of the README command`);
      // The README's table states the same digest.
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\``));
      assert.ok(row?.includes(sha256(committed)), `README row for ${name} shows its sha256`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundled sample has the LVIS shape and keeps the long tail', () => {
  const train = JSON.parse(gunzipSync(readFileSync(path.join(SAMPLE, FILES[0]!))).toString('utf8'));
  const val = JSON.parse(gunzipSync(readFileSync(path.join(SAMPLE, FILES[1]!))).toString('utf8'));
  const preds = JSON.parse(gunzipSync(readFileSync(path.join(SAMPLE, FILES[2]!))).toString('utf8'));
  assert.equal(train.images.length, 3000);
  assert.equal(val.images.length, 600);
  const shown = (d: any, tier: string) => d.categories.filter((c: any) => c.frequency === tier && c.image_count > 0).length;
  assert.ok(shown(train, 'r') >= 20, 'rare categories appear in the sample');
  assert.ok(shown(train, 'c') >= 200 && shown(train, 'f') >= 400);
  const valIds = new Set(val.images.map((i: any) => i.id));
  assert.ok(train.images.every((i: any) => !valIds.has(i.id)));
  assert.ok(preds.length > 10 * val.images.length && preds.every((d: any) => valIds.has(d.image_id)));
});
