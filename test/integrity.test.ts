/**
 * Integrity: a run never writes over its inputs, and the cache never serves what fails its
 * check. Every kind of cache file is damaged in every way (a flipped byte, a digit changed so
 * that JSON stays valid, cut in half, deleted); the next run must notice and end with outputs
 * byte-identical to a clean run's. (test/fault-injection.test.ts kills runs.)
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../src/runner/exec/events.js';
import { after, before, describe, it } from 'node:test';
import { runCli, Workspace, type CliResult } from './helpers/runner-fixture.js';
import { filesBelow, lastHistory, LVIS_REGISTRY, objectOf, outputBytes, writeLvisPipeline } from './helpers/integrity-fixture.js';

const run = (ws: Workspace, ...args: string[]): Promise<CliResult> => runCli(['run', 'p.yaml', '--json', ...args], { cwd: ws.dir, registry: LVIS_REGISTRY });

type Mode = 'flip a byte' | 'change a digit' | 'truncate' | 'delete';
const MODES: Mode[] = ['flip a byte', 'change a digit', 'truncate', 'delete'];

/** Damages `file` the way a user, a disk or a crash might. */
function damage(file: string, mode: Mode): void {
  if (mode === 'delete') return unlinkSync(file);
  chmodSync(file, 0o644); // objects are read-only: a user would do the same
  const bytes = readFileSync(file);
  if (mode === 'truncate') return writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
  if (mode === 'flip a byte') {
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    return writeFileSync(file, bytes);
  }
  // A digit in the middle of a number, changed to another digit: JSON (or a binary header) stays valid.
  for (let i = Math.floor(bytes.length / 3); i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c >= 0x31 && c <= 0x38 && bytes[i - 1]! >= 0x30 && bytes[i - 1]! <= 0x39) {
      bytes[i] = c + 1;
      return writeFileSync(file, bytes);
    }
  }
  throw new Error(`no digit to change in ${file}`);
}

const CLI = fileURLToPath(new URL('../../bin/lvis-pipe.js', import.meta.url));

/** `run` in a new process, as a user would: events parsed from its --json output. */
async function runProcess(ws: Workspace): Promise<CliResult> {
  // Without the validators compiled at build time: the one compiled into the cache folder is read.
  const env = { ...process.env, CI: '1', LVIS_PIPE_PREBUILT_VALIDATORS: '' };
  const r = spawnSync(process.execPath, [CLI, 'run', 'p.yaml', '--json'], { cwd: ws.dir, encoding: 'utf8', env });
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, events };
}

function notices(r: CliResult): string[] {
  return r.events.flatMap((e) => (e.type === 'notice' ? [e.message] : []));
}

function statusOf(r: CliResult, step: string): string | undefined {
  const fin = r.events.find((e) => e.type === 'run-finish');
  return fin && fin.type === 'run-finish' ? fin.steps.find((s) => s.id === step)?.status : undefined;
}

describe('inputs are never overwritten', () => {
  it('an output on an input, by the same path, a symlink or a hardlink, is refused before anything runs (exit 2, both named)', async () => {
    const ws = new Workspace();
    try {
      writeLvisPipeline(ws);
      const yaml = ws.read('p.yaml');
      const original = readFileSync(ws.path('data/train.json'));
      const cases: [string, () => void][] = [
        ['the same path', () => ws.write('p.yaml', yaml.replace('out: out/train_mini.json', 'out: data/train.json'))],
        [
          'a symlink to the input',
          () => {
            symlinkSync(ws.path('data/train.json'), ws.path('data/link.json'));
            ws.write('p.yaml', yaml.replace('out: out/train_mini.json', 'out: data/link.json'));
          },
        ],
        [
          'a hardlink to the input',
          () => {
            linkSync(ws.path('data/train.json'), ws.path('data/hard.json'));
            ws.write('p.yaml', yaml.replace('out: out/train_mini.json', 'out: data/hard.json'));
          },
        ],
        [
          'a symlinked folder',
          () => {
            symlinkSync(ws.path('data'), ws.path('alias'));
            ws.write('p.yaml', yaml.replace('out: out/train_mini.json', 'out: alias/train.json'));
          },
        ],
      ];
      for (const [name, setup] of cases) {
        setup();
        const r = await run(ws);
        assert.equal(r.code, 2, `${name}: ${r.stderr}`);
        assert.match(r.stdout + r.stderr, /the output `subset` of step `write` would be written to .*which is the input `path` of step `train`.*the run would overwrite its own input/, name);
        assert.deepEqual(readFileSync(ws.path('data/train.json')), original, `${name}: the input is untouched`);
        assert.equal(existsSync(ws.path('.lvis-pipe/history')), false, `${name}: nothing ran`);
      }
      // Two outputs in one file through a link are refused too.
      mkdirSync(ws.path('out'), { recursive: true });
      symlinkSync(ws.path('out'), ws.path('out2'));
      ws.write('p.yaml', yaml.replace('out: out/val_pruned.json', 'out: out2/train_mini.json'));
      const both = await run(ws);
      assert.equal(both.code, 2);
      assert.match(both.stdout + both.stderr, /the output `gt` of step `prune_val` would be written to .*out2\/train_mini\.json, which the output `subset` of step `write` also writes/);
    } finally {
      ws.remove();
    }
  });
});

describe('a damaged cache is noticed, quarantined and recomputed', () => {
  const ws = new Workspace();
  let clean: (string | undefined)[];
  before(async () => {
    writeLvisPipeline(ws);
    const r = await run(ws);
    assert.equal(r.code, 0, r.stderr);
    clean = outputBytes(ws);
    assert.ok(clean.every((b) => b !== undefined && b.length > 1000));
  });
  after(() => ws.remove());

  /** Each kind of file the cache keeps, how to find it, and the step that made it (if one did). */
  const targets: { kind: string; file: () => string; step?: string; viaProcess?: boolean }[] = [
    { kind: 'a binary value object (the train dataset)', file: () => objectOf(ws.path('.lvis-pipe'), lastHistory(ws), 'train', 'dataset'), step: 'train' },
    { kind: 'a JSON value object (the target mix)', file: () => objectOf(ws.path('.lvis-pipe'), lastHistory(ws), 'mix', 'mix'), step: 'mix' },
    { kind: 'a file object (the written subset)', file: () => objectOf(ws.path('.lvis-pipe'), lastHistory(ws), 'write', 'subset'), step: 'write' },
    {
      kind: 'the run records (of the target mix)',
      file: () => {
        // Every record of the key: with one left intact, that one would be a valid hit.
        const dir = ws.path('.lvis-pipe/runs', lastHistory(ws).steps.mix!.key);
        const [first, ...rest] = readdirSync(dir).sort();
        for (const n of rest) unlinkSync(path.join(dir, n));
        return path.join(dir, first!);
      },
      step: 'mix',
    },
    { kind: 'the pipeline state', file: () => path.join(ws.path('.lvis-pipe/state'), readdirSync(ws.path('.lvis-pipe/state'))[0]!) },
    { kind: 'the stat cache', file: () => ws.path('.lvis-pipe/statcache.json') },
    { kind: 'a compiled validator', file: () => path.join(ws.path('.lvis-pipe/validators'), readdirSync(ws.path('.lvis-pipe/validators'))[0]!), viaProcess: true },
  ];

  for (const t of targets) {
    for (const mode of MODES) {
      it(`${t.kind}: ${mode}`, async () => {
        // The validator is compiled once per process: its file is read by a new process only.
        const runIt = t.viaProcess ? () => runProcess(ws) : () => run(ws);
        if (t.viaProcess) assert.equal((await runIt()).code, 0);
        const file = t.file();
        const rel = path.relative(ws.path('.lvis-pipe'), file);
        damage(file, mode);
        const r = await runIt();
        assert.equal(r.code, 0, r.stderr);
        if (mode !== 'delete') {
          // Said once, in plain words, naming the file; the file moved to quarantine/.
          const said = [...notices(r), ...r.stderr.split('\n')].filter((m) => m.includes('failed its check') && m.includes(rel));
          assert.equal(said.length, 1, `one message about ${rel}: ${JSON.stringify(notices(r))} ${r.stderr}`);
          assert.ok(filesBelow(ws.path('.lvis-pipe/quarantine')).some((f) => f.endsWith(rel.split(path.sep).join('__'))), 'quarantined');
        }
        if (t.step) assert.equal(statusOf(r, t.step), 'ran', `${t.step} was recomputed`);
        assert.deepEqual(outputBytes(ws), clean, 'outputs byte-identical to a clean run');
        if (t.step && mode !== 'delete') assert.ok(lastHistory(ws).repairs?.some((m) => m.includes(rel)), 'the run record says what was repaired');
        // And the run after that is all hits again.
        const again = await runIt();
        assert.equal(again.code, 0);
        assert.equal(statusOf(again, 'write'), 'cached');
      });
    }
  }

  it('a forced step never reads a poisoned input: its result is made from the verified one', async () => {
    // The probe's case: a target mix edited so that it stays valid JSON, then --force sample.
    const mixFile = objectOf(ws.path('.lvis-pipe'), lastHistory(ws), 'mix', 'mix');
    chmodSync(mixFile, 0o644);
    const mix = JSON.parse(readFileSync(mixFile, 'utf8')) as { mix: Record<string, number> };
    [mix.mix.f, mix.mix.r] = [mix.mix.r!, mix.mix.f!];
    writeFileSync(mixFile, JSON.stringify(mix));
    const r = await run(ws, '--force', 'sample');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statusOf(r, 'mix'), 'ran');
    assert.deepEqual(outputBytes(ws), clean);
    const plain = await run(ws);
    assert.equal(statusOf(plain, 'sample'), 'cached');
    assert.deepEqual(outputBytes(ws), clean);
  });

  it('cache verify finds what a run would not read (a history record, an unused object), and --repair moves it aside', async () => {
    const history = path.join(ws.path('.lvis-pipe/history'), readdirSync(ws.path('.lvis-pipe/history')).sort()[0]!);
    damage(history, 'change a digit');
    const object = objectOf(ws.path('.lvis-pipe'), lastHistory(ws), 'stats', 'stats');
    damage(object, 'flip a byte');
    const runs = await runCli(['runs', 'p.yaml'], { cwd: ws.dir, registry: LVIS_REGISTRY });
    assert.equal(runs.code, 0);
    assert.match(runs.stderr, /warning: cache: the history record history\/\S+ failed its check \(its content does not match its seal/);
    const check = await runCli(['cache', 'verify', 'p.yaml'], { cwd: ws.dir, registry: LVIS_REGISTRY });
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.match(check.stdout, /the object objects\/\S+ failed its check \(its content does not match its sha256\)/);
    assert.match(check.stdout, /2 damaged; `lvis-pipe cache verify --repair` moves them aside/);
    assert.ok(existsSync(history), 'verify alone moves nothing');
    const repair = await runCli(['cache', 'verify', 'p.yaml', '--repair'], { cwd: ws.dir, registry: LVIS_REGISTRY });
    assert.equal(repair.code, 0, repair.stdout + repair.stderr);
    assert.equal(existsSync(history), false);
    assert.equal((await runCli(['cache', 'verify', 'p.yaml'], { cwd: ws.dir, registry: LVIS_REGISTRY })).code, 0);
    const r = await run(ws);
    assert.equal(r.code, 0);
    assert.deepEqual(outputBytes(ws), clean);
  });
});

describe('the run report says what was repaired', () => {
  it('lists the history record’s repairs, and nothing when there were none', async () => {
    const { renderReportHtml } = await import('../src/lvis/report/html.js');
    const base = {
      title: 't',
      run: { id: 'r1', pipeline: 'p.yaml', status: 'ok', startedAt: '2026-12-02T00:00:00Z', durationMs: 5 },
      params: {},
      steps: [],
      metrics: [],
      charts: [],
    };
    const repaired = renderReportHtml({ ...base, repairs: ['cache: the object objects/ab/abc failed its check (its content does not match its sha256); moved to quarantine/x'] });
    assert.match(repaired, /The cache found damaged files during this run[^<]*<\/p><ul><li>cache: the object objects\/ab\/abc failed its check/);
    assert.doesNotMatch(renderReportHtml(base), /damaged files/);
  });
});

describe('a value damaged after the run checked it', () => {
  it('is reported in plain words as the cache’s damage (a DiagnosticError, not a crash), and quarantined', async () => {
    const { CacheStore } = await import('../src/runner/cache/store.js');
    const { DiagnosticError } = await import('../src/base/diagnostic.js');
    const ws = new Workspace();
    try {
      const store = new CacheStore(ws.path('.lvis-pipe'));
      await store.init();
      const { digest } = await store.putBytes(new TextEncoder().encode('{"mix":{"f":0.7021,"c":0.2114,"r":0.0865}}'));
      assert.equal((await store.readObject(digest)).toString(), '{"mix":{"f":0.7021,"c":0.2114,"r":0.0865}}');
      damage(store.objectPath(digest), 'change a digit');
      const err = await store.readObject(digest).catch((e: unknown) => e);
      assert.ok(err instanceof DiagnosticError, String(err));
      assert.match(err.message, new RegExp(`the cache object ${digest.slice(0, 12)}… failed its check as it was read \\(its content does not match its sha256\\); it was moved to quarantine\\. Run again`));
      assert.equal(existsSync(store.objectPath(digest)), false);
      assert.equal(filesBelow(ws.path('.lvis-pipe/quarantine')).length, 1);
    } finally {
      ws.remove();
    }
  });
});

it('a sealed record opens whatever its values were: a Buffer, a Date and Infinity are sealed as they are written', async () => {
  const { sealJson, openSealedJson } = await import('../src/runner/cache/integrity.js');
  const text = sealJson({ a: Buffer.from('hi'), d: new Date(0), inf: Infinity, nested: { u: undefined, n: 1 } });
  const opened = openSealedJson<Record<string, unknown>>(text);
  assert.ok('value' in opened, JSON.stringify(opened));
  assert.deepEqual(opened.value.inf, null);
  assert.deepEqual(opened.value.d, '1970-01-01T00:00:00.000Z');
  assert.deepEqual(opened.value.nested, { n: 1 });
});
