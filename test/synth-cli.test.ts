import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { CliEnv } from '../src/cli-env.js';
import { command } from '../src/commands/synth.js';
import { UsageError } from '../src/commands/args.js';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import type { StepContext } from '../src/runner/step/step.js';
import synthStep from '../src/steps/synth.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'lvis-synth-cli-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function env(cwd: string): CliEnv & { out: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return {
    registry: new StepRegistry([synthStep]),
    stdout: sink,
    stderr: sink,
    cwd,
    interactive: false,
    handleSignals: false,
    out: () => text,
  };
}

describe('lvis-pipe synth (command module)', () => {
  test('writes the three files into --out, relative to the working directory', async () => {
    const cwd = tempDir();
    const e = env(cwd);
    const code = await command.run(['--out', 'made', '--images', '60', '--seed', '5', '--gzip'], e);
    assert.equal(code, 0);
    assert.deepEqual(readdirSync(path.join(cwd, 'made')).sort(), [
      'lvis_v1_train_synth.json.gz',
      'lvis_v1_val_synth.json.gz',
      'preds_val_synth.json.gz',
    ]);
    const train = JSON.parse(gunzipSync(readFileSync(path.join(cwd, 'made', 'lvis_v1_train_synth.json.gz'))).toString());
    const val = JSON.parse(gunzipSync(readFileSync(path.join(cwd, 'made', 'lvis_v1_val_synth.json.gz'))).toString());
    assert.equal(train.images.length, 60);
    assert.equal(val.images.length, 12, 'val defaults to LVIS v1 val/train proportion (60 × 19809/100170)');
    assert.equal(train.info.generator.seed, 5);
    assert.match(e.out(), /wrote made\/lvis_v1_train_synth\.json\.gz: 60 images, [\d,]+ annotations/);
  });

  test('--val-images 0 writes only train; --no-preds skips predictions; --json prints the summary', async () => {
    const cwd = tempDir();
    assert.equal(await command.run(['--out', 'a', '--images', '20', '--val-images', '0', '--quiet'], env(cwd)), 0);
    assert.deepEqual(readdirSync(path.join(cwd, 'a')), ['lvis_v1_train_synth.json']);
    const e = env(cwd);
    assert.equal(await command.run(['--out', 'b', '--images', '20', '--val-images', '5', '--no-preds', '--json'], e), 0);
    assert.deepEqual(readdirSync(path.join(cwd, 'b')).sort(), ['lvis_v1_train_synth.json', 'lvis_v1_val_synth.json']);
    const summary = JSON.parse(e.out());
    assert.equal(summary.val.images, 5);
    assert.equal(summary.preds, undefined);
  });

  test('bad flags are usage errors; out-of-range values are all reported at once', async () => {
    const cwd = tempDir();
    await assert.rejects(command.run(['--images', '10'], env(cwd)), (err) => err instanceof UsageError && /--out/.test(err.message));
    await assert.rejects(command.run(['--out', 'x', '--images', 'many'], env(cwd)), (err) => err instanceof UsageError && /--images/.test(err.message));
    await assert.rejects(command.run(['--out', 'x', '--bogus'], env(cwd)), UsageError);
    await assert.rejects(
      command.run(['--out', 'x', '--images', '2.5', '--seed=-3', '--polygon-detail', '0'], env(cwd)),
      (err) => {
        assert.ok(err instanceof DiagnosticError);
        assert.equal(err.exitCode, 2);
        const text = err.diagnostics.map((d) => d.message).join('\n');
        assert.match(text, /--images must be an integer from 1 to \d+, got 2\.5/);
        assert.match(text, /--seed must be an integer from 0 to 4294967295, got -3/);
        assert.match(text, /--polygon-detail must be a number from 0\.1 to 10, got 0/);
        assert.ok(err.diagnostics.every((d) => d.location === undefined), 'a command-line problem, not a file position');
        return true;
      },
    );
    // Nothing was written by the failed calls.
    assert.ok(!existsSync(path.join(cwd, 'x')));
  });

  test('through bin/lvis-pipe.js: exit status 0, and 2 with a message for bad options', () => {
    const cwd = tempDir();
    const ok = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lvis-pipe.js'), 'synth', '--out', cwd, '--images', '30', '--quiet']);
    assert.equal(ok.status, 0, String(ok.stderr));
    assert.ok(existsSync(path.join(cwd, 'preds_val_synth.json')));
    const bad = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lvis-pipe.js'), 'synth', '--out', cwd, '--images', '0']);
    assert.equal(bad.status, 2);
    assert.match(String(bad.stderr), /--images must be an integer from 1/);
    assert.doesNotMatch(String(bad.stderr), /\n\s+at /, 'no stack trace');
    // --out naming a file (or a folder under one): a clear error, not a stack.
    const blocker = path.join(cwd, 'blocker');
    writeFileSync(blocker, 'x');
    for (const out of [blocker, path.join(blocker, 'sub')]) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lvis-pipe.js'), 'synth', '--out', out, '--images', '30']);
      assert.equal(r.status, 2, String(r.stderr));
      assert.match(String(r.stderr), /cannot create the --out folder .*blocker.*: a file stands where a folder of the path should be \((EEXIST|ENOTDIR)\); choose another --out/);
      assert.doesNotMatch(String(r.stderr), /\n\s+at /, 'no stack trace');
    }
  });
});

describe('synth step', () => {
  test('writes train, val and preds to the runner-given paths and returns them', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const ctx: StepContext<any, Record<string, never>> = {
      stepId: 'data',
      options: { images: 80, seed: 2, polygon_detail: 1, gzip: false },
      inputs: {},
      progress: { start() {}, update() {}, done() {} },
      log: (m) => logs.push(m),
      signal: new AbortController().signal,
      outputFile: (name) => path.join(dir, `${name}.out`),
      tempDir: dir,
      fileDigests: {},
    };
    const out = await synthStep.run(ctx);
    assert.deepEqual(out, { train: path.join(dir, 'train.out'), val: path.join(dir, 'val.out'), preds: path.join(dir, 'preds.out') });
    const train = JSON.parse(readFileSync(out.train, 'utf8'));
    const val = JSON.parse(readFileSync(out.val, 'utf8'));
    const preds = JSON.parse(readFileSync(out.preds, 'utf8'));
    assert.equal(train.images.length, 80);
    assert.equal(val.images.length, 16);
    assert.ok(preds.length > 0);
    assert.match(logs.join('\n'), /train: 80 images/);
    // Every file output names an option that can also place it at a user path.
    for (const spec of Object.values(synthStep.outputs)) {
      assert.equal(spec.kind, 'file');
      assert.ok(spec.pathOption && spec.pathOption in (synthStep.optionsSchema.properties as object));
    }
  });

  test('the registry accepts the step (its kinds and path options are consistent)', () => {
    assert.doesNotThrow(() => new StepRegistry([synthStep]));
  });
});
