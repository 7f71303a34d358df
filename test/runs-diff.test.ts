/**
 * `lvis-pipe runs` and `lvis-pipe diff` on the history of real runs of the runner's test
 * steps: two plain runs and a two-variant sweep. Checked against the history records: which
 * runs are listed and in what order, the params that differ, the metrics, what ran; a
 * diff's params, metric deltas, output digests and step keys; naming runs by short id,
 * prefix, @ and @~N, and the errors for ambiguous and unknown names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunDiff, RunsRow } from '../src/runner/cache/history.js';
import { type HistoryRecord } from '../src/runner/cache/records.js';
import { runCli, Workspace } from './helpers/runner-fixture.js';

const PIPELINE = `params:
  suffix: "!"
  repeat: 1
steps:
  src: { type: source, options: { path: data/in.txt } }
  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}", repeat: "\${params.repeat}" } }
  n: { type: count, inputs: { text: up } }
  out: { type: write, inputs: { text: up }, options: { out: out/result.txt } }
sweep:
  grid: { repeat: [2, 3] }
  metrics: [words, chars]
`;

interface RunsJson {
  pipeline: string;
  differing: string[];
  metrics: string[];
  runs: RunsRow[];
}

const shortOf = (h: HistoryRecord) => h.runId.slice(h.runId.lastIndexOf('-') + 1);

describe('runs and diff', () => {
  let ws: Workspace;
  /** Oldest first: plain suffix=a, plain suffix=b, then the sweep's two variants. */
  let history: HistoryRecord[];
  before(async () => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello big world');
    ws.write('p.yaml', PIPELINE);
    ws.write('other.yaml', PIPELINE);
    for (const args of [['run', 'p.yaml', '-q', '--set', 'suffix=a'], ['run', 'p.yaml', '-q', '--set', 'suffix=b'], ['sweep', 'p.yaml', '-q', '--jobs', '1'], ['run', 'other.yaml', '-q']]) {
      const r = await runCli(args, { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
    }
    history = ws.history().filter((h) => h.pipeline === ws.path('p.yaml'));
    assert.equal(history.length, 4);
  });
  after(() => ws.remove());

  it('runs --json: this pipeline’s runs, newest first, with every param, the differing ones and the metrics', async () => {
    const r = await runCli(['runs', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as RunsJson;
    assert.deepEqual(j.runs.map((x) => x.runId), [...history].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1)).map((h) => h.runId));
    assert.deepEqual(j.differing, ['suffix', 'repeat']);
    assert.deepEqual(j.metrics, ['chars', 'words']);
    const byId = new Map(j.runs.map((x) => [x.runId, x]));
    for (const h of history) {
      const row = byId.get(h.runId)!;
      assert.equal(row.shortId, shortOf(h));
      assert.deepEqual(row.params, h.params);
      assert.deepEqual(row.metrics, h.metrics['n.stats']);
      assert.equal(row.label, h.label);
      assert.equal(row.sweepId, h.sweep?.id);
    }
    const [a, b, v2, v3] = history;
    assert.deepEqual(byId.get(a!.runId)!.metrics, { chars: 16, words: 3 });
    assert.deepEqual(byId.get(b!.runId)!.steps, { ran: 3, shared: 0, cached: 1, failed: 0, skipped: 0, interrupted: 0 });
    assert.deepEqual([v2!.label, v3!.label].sort(), ['repeat=2', 'repeat=3']);
  });

  it('runs: the table shows short ids, the differing params, the chosen metrics (sweep.metrics) and what ran', async () => {
    const r = await runCli(['runs', 'p.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.deepEqual(lines[0]!.split(/\s{2,}/), ['run', 'started', 'status', 'time', 'sweep', 'variant', 'suffix', 'repeat', 'words', 'chars', 'steps']);
    const rows = lines.slice(2, 6).map((l) => l.split(/\s{2,}/));
    const newestFirst = [...history].reverse();
    assert.deepEqual(rows.map((c) => c[0]), newestFirst.map(shortOf));
    const plainA = rows.find((c) => c[0] === shortOf(history[0]!))!;
    // run, started, status, time, (no sweep, no variant), suffix, repeat, words, chars, steps
    assert.deepEqual([plainA[2], plainA[4], plainA[5], plainA[6], plainA[7], plainA[8]], ['ok', 'a', '1', '3', '16', '4 ran']);
    // A variant's row names its sweep by the short id that `--sweep` takes.
    const variantRow = rows.find((c) => c[0] === shortOf(history[2]!))!;
    assert.equal(variantRow[4], shortOf({ runId: history[2]!.sweep!.id } as HistoryRecord));
    assert.equal(variantRow[5], history[2]!.label);
    assert.match(r.stdout, /4 runs of p\.yaml; compare two with: lvis-pipe diff p\.yaml RUN RUN/);
    const only = await runCli(['runs', 'p.yaml', '--json', '--sweep', shortOf({ runId: history[2]!.sweep!.id } as HistoryRecord)], { cwd: ws.dir });
    assert.deepEqual((JSON.parse(only.stdout) as RunsJson).runs.map((x) => x.label).sort(), ['repeat=2', 'repeat=3']);
    const limited = await runCli(['runs', 'p.yaml', '--json', '-n', '1'], { cwd: ws.dir });
    assert.deepEqual((JSON.parse(limited.stdout) as RunsJson).runs.map((x) => x.runId), [newestFirst[0]!.runId]);
  });

  it('runs: a pipeline that never ran', async () => {
    ws.write('never.yaml', PIPELINE);
    const r = await runCli(['runs', 'never.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /never\.yaml: not run yet/);
  });

  it('diff --json: params, metric deltas, output digests and step keys of two runs', async () => {
    const [a, b] = history;
    const r = await runCli(['diff', 'p.yaml', shortOf(a!), shortOf(b!), '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as RunDiff;
    assert.equal(d.a.runId, a!.runId);
    assert.equal(d.b.runId, b!.runId);
    assert.deepEqual(d.params, [
      { name: 'suffix', a: 'a', b: 'b', change: 'changed' },
      { name: 'repeat', a: 1, b: 1, change: 'same' },
    ]);
    // "HELLO BIG WORLDa" vs "HELLO BIG WORLDb": same counts.
    assert.deepEqual(
      d.metrics.map((m) => [m.name, m.a, m.b, m.delta, m.change]),
      [
        ['chars', 16, 16, 0, 'same'],
        ['words', 3, 3, 0, 'same'],
      ],
    );
    const out = new Map(d.outputs.map((o) => [o.name, o]));
    assert.equal(out.get('src.text')!.change, 'same');
    assert.equal(out.get('up.text')!.change, 'changed');
    assert.equal(out.get('out.file')!.change, 'changed');
    assert.equal(out.get('out.file')!.a!.digest, a!.steps.out!.outputs.file!.digest);
    assert.equal(out.get('out.file')!.b!.path, ws.path('out/result.txt'));
    assert.deepEqual(
      d.steps.map((s) => [s.id, s.a!.status, s.b!.status, s.key]),
      [
        ['src', 'ran', 'cached', 'same'],
        ['up', 'ran', 'ran', 'changed'],
        ['n', 'ran', 'ran', 'changed'],
        ['out', 'ran', 'ran', 'changed'],
      ],
    );
  });

  it('diff: metric deltas between two sweep variants, in text', async () => {
    const [, , v2, v3] = history;
    const [x, y] = v2!.params.repeat === 2 ? [v2!, v3!] : [v3!, v2!];
    const r = await runCli(['diff', 'p.yaml', shortOf(x).slice(0, 4), shortOf(y)], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout;
    assert.match(text, new RegExp(`^a: ${shortOf(x)} .* \\[repeat=2\\]`, 'm'));
    assert.match(text, new RegExp(`^b: ${shortOf(y)} .* \\[repeat=3\\]`, 'm'));
    assert.match(text, /^params: 1 differ \(1 the same; --all lists them\)$/m);
    assert.match(text, /^repeat\s+2\s+3\s+changed$/m);
    // 'HELLO BIG WORLD!' × 2 = 32 chars, 5 words; × 3 = 48 chars, 7 words.
    assert.match(text, /^chars\s+32\s+48\s+\+16\s+\+50\.0%$/m);
    assert.match(text, /^words\s+5\s+7\s+\+2\s+\+40\.0%$/m);
    assert.match(text, /^out\.file\s+\w{12} 32 B\s+\w{12} 48 B\s+changed\s+out\/sweep\/repeat=2\/result\.txt → out\/sweep\/repeat=3\/result\.txt$/m);
    assert.match(text, /^src\s+cached \S+ ms\s+cached \S+ ms\s+same$/m);
  });

  it('diff names runs by @ and @~N, defaults to the two newest, and searches the whole cache without FILE', async () => {
    const newest = [...history].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    const r = await runCli(['diff', 'p.yaml', '--json'], { cwd: ws.dir });
    const d = JSON.parse(r.stdout) as RunDiff;
    assert.deepEqual([d.a.runId, d.b.runId], [newest[1]!.runId, newest[0]!.runId]);
    const at = await runCli(['diff', 'p.yaml', '@~3', '@', '--json'], { cwd: ws.dir });
    assert.deepEqual([(JSON.parse(at.stdout) as RunDiff).a.runId], [newest[3]!.runId]);
    // Without FILE: every run in the cache, so `@` is the newest run of any pipeline (other.yaml's).
    const all = await runCli(['diff', '--cache-dir', '.lvis-pipe', history[0]!.runId, '@', '--json'], { cwd: ws.dir });
    assert.equal(all.code, 0, all.stderr);
    assert.equal((JSON.parse(all.stdout) as RunDiff).b.pipeline, ws.path('other.yaml'));
  });

  it('diff: ambiguous, unknown and too-short run names are errors that list runs', async () => {
    const datePrefix = history[0]!.runId.slice(0, 8);
    const amb = await runCli(['diff', 'p.yaml', datePrefix, '@'], { cwd: ws.dir });
    assert.equal(amb.code, 2);
    assert.match(amb.stderr, new RegExp(`run \`${datePrefix}\` is ambiguous: it matches 4 runs: `));
    const unknown = await runCli(['diff', 'p.yaml', 'zzzzzz', '@'], { cwd: ws.dir });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no run `zzzzzz` among the runs of p\.yaml; the newest: /);
    const short = await runCli(['diff', 'p.yaml', 'ab', '@'], { cwd: ws.dir });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /run `ab`: give at least 4 characters/);
    const far = await runCli(['diff', 'p.yaml', '@~9', '@'], { cwd: ws.dir });
    assert.match(far.stderr, /`@~9`: there are only 4 runs among the runs of p\.yaml/);
  });
});

describe('diff: float rounding is not a change', () => {
  it('a metric that differs by 1e-18 is the same; one that differs in its 4th digit is changed', async () => {
    const { diffRuns } = await import('../src/runner/cache/history.js');
    const { sameNumber } = await import('../src/base/format.js');
    const rec = (runId: string, js: number, ap: number): HistoryRecord => ({
      layout: 1, runId, pipeline: 'p.yaml', pipelineId: 'p', params: {}, startedAt: '2026-12-07T10:00:00.000Z', finishedAt: '2026-12-07T10:00:01.000Z',
      durationMs: 1000, status: 'ok', steps: {}, metrics: { 'sample.quality': { js_divergence: js, AP: ap } },
    });
    const d = diffRuns(rec('20261207-1-aaaaaa', 0.0023401, 0.25), rec('20261207-2-bbbbbb', 0.0023401 + 1e-18, 0.2501));
    const by = new Map(d.metrics.map((m) => [m.name, m]));
    assert.equal(by.get('js_divergence')!.change, 'same');
    assert.equal(by.get('AP')!.change, 'changed');
    assert.ok(sameNumber(0, 0) && sameNumber(1, 1 + 1e-12) && !sameNumber(0, 1e-300) && !sameNumber(1, 1.000001));
  });
});

describe('control characters from params and file names are shown escaped', () => {
  // What a hostile --params file or file name holds: set the window title, ring, clear the screen.
  const HOSTILE = 'http://x/\x1b]0;PWNED\x07\x1b[2J/';
  const SHOWN = 'http://x/\\x1b]0;PWNED\\x07\\x1b[2J/';
  const NAME = 'bad\x1b[2J.yaml';
  // eslint-disable-next-line no-control-regex
  const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
  let ws: Workspace;
  before(async () => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello');
    ws.write(NAME, PIPELINE);
    ws.write('hostile.yaml', `suffix: ${JSON.stringify(HOSTILE)}\n`);
    for (const args of [['run', NAME, '-q'], ['run', NAME, '-q', '--params', 'hostile.yaml']]) {
      const r = await runCli(args, { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => ws.remove());

  it('runs, diff, plan and validate print no raw control character, and show it as \\x1b', async () => {
    for (const args of [['runs', NAME], ['runs', NAME, '--all-params'], ['diff', NAME], ['diff', NAME, '--all'], ['plan', NAME], ['validate', NAME]]) {
      const r = await runCli(args, { cwd: ws.dir });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout + r.stderr, RAW, `${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      // plan names the hostile value (the last run's suffix) in its reasons, quoted as JSON; the others, the file.
      const shown = args[0] === 'plan' ? '"http://x/\\u001b]0;PWNED\\u0007' : 'bad\\x1b[2J.yaml';
      assert.ok((r.stdout + r.stderr).includes(shown), `${args.join(' ')} shows ${shown}:\n${r.stdout}`);
    }
    const diff = await runCli(['diff', NAME], { cwd: ws.dir });
    assert.match(diff.stdout, new RegExp(`^suffix\\s+!\\s+${SHOWN.replace(/[\\[\]]/g, '\\$&')}\\s+changed$`, 'm'));
    const runs = await runCli(['runs', NAME], { cwd: ws.dir });
    assert.ok(runs.stdout.includes(SHOWN), runs.stdout);
    // --json is for programs: the value itself, which JSON writes as \u001b.
    const json = await runCli(['diff', NAME, '--json'], { cwd: ws.dir });
    assert.equal((JSON.parse(json.stdout) as RunDiff).params.find((p) => p.name === 'suffix')!.b, HOSTILE);
  });

  it('a diagnostic names the file escaped; so does a usage error', async () => {
    ws.write(NAME.replace('.yaml', '-broken.yaml'), 'steps:\n  a: { type: nope }\n');
    const r = await runCli(['validate', NAME.replace('.yaml', '-broken.yaml')], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, RAW, r.stderr);
    assert.match(r.stderr, /^bad\\x1b\[2J-broken\.yaml:2:14: step `a`: unknown step type `nope`/m);
    const u = await runCli(['plan', NAME, '--only', 'no\x1b[2Jstep'], { cwd: ws.dir });
    assert.equal(u.code, 2);
    assert.doesNotMatch(u.stderr, RAW, u.stderr);
    assert.match(u.stderr, /no step `no\\x1b\[2Jstep` in bad\\x1b\[2J\.yaml/);
  });
});
