/** cache ls/gc/clear, dag, schema, configuration and help. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { COMMANDS } from '../src/commands/index.js';
import { buildPipelineSchema } from '../src/runner/pipeline/schema.js';
import { describeEvent, describeOutput } from '../src/runner/reporters/describe.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';
import { testRegistry } from './helpers/runner-steps.js';

const PIPELINE = `params:
  suffix: "!"
steps:
  src: { type: source, options: { path: data/in.txt } }
  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}" } }
  out: { type: write, inputs: { text: up }, options: { out: out/up.txt } }
`;

function countObjects(cacheDir: string): number {
  return readdirSync(path.join(cacheDir, 'objects')).reduce((n, shard) => n + readdirSync(path.join(cacheDir, 'objects', shard)).length, 0);
}

describe('cache ls, gc, clear', () => {
  let ws: Workspace;
  before(async () => {
    ws = new Workspace();
    ws.write('data/in.txt', 'x'.repeat(10_000));
    ws.write('p.yaml', PIPELINE);
    for (const s of ['a', 'b', 'c']) assert.equal((await runCli(['run', 'p.yaml', '--set', `suffix=${s}`], { cwd: ws.dir })).code, 0);
  });
  after(() => ws.remove());

  it('ls shows the size and the known pipeline with its steps', async () => {
    const r = await runCli(['cache', 'ls', 'p.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\.lvis-pipe: [\d.]+ kB in 4 objects; 7 run records of 7 keys; 3 pipeline runs in history$/m);
    assert.match(r.stdout, /^p\.yaml: last run \S+$/m);
    assert.match(r.stdout, /^ {2}up +upper +[0-9a-f]{12} +ran +[\d.]+ kB$/m);
  });

  it('gc --dry-run removes nothing; gc --keep 0 keeps what the pipeline needs and frees the rest', async () => {
    const before = countObjects(ws.cacheDir);
    const dry = await runCli(['cache', 'gc', 'p.yaml', '--keep', '0', '--dry-run'], { cwd: ws.dir });
    assert.match(dry.stdout, /would remove 4 run records of 4 keys and 2 objects: would free [\d.]+ kB; kept 3 keys/);
    assert.equal(countObjects(ws.cacheDir), before);
    const r = await runCli(['cache', 'gc', 'p.yaml', '--keep', '0', '--json'], { cwd: ws.dir });
    const res = JSON.parse(r.stdout) as { removedKeys: number; removedObjects: number; bytesFreed: number; keptKeys: number };
    assert.equal(res.removedKeys, 4);
    // Objects are content-addressed: write's file has the same bytes as upper's text.
    assert.equal(res.removedObjects, 2);
    assert.equal(res.keptKeys, 3);
    assert.ok(res.bytesFreed > 20_000, `freed ${res.bytesFreed}`);
    assert.equal(countObjects(ws.cacheDir), 2);
    // What the pipeline needs survived: all hits. A gc'd earlier value runs again.
    const again = await runCli(['run', 'p.yaml', '--json', '--set', 'suffix=c'], { cwd: ws.dir });
    assert.deepEqual(statuses(again.events), { src: 'cached', up: 'cached', out: 'cached' });
    const gone = await runCli(['run', 'p.yaml', '--json', '--set', 'suffix=a'], { cwd: ws.dir });
    assert.deepEqual(statuses(gone.events), { src: 'cached', up: 'ran', out: 'ran' });
  });

  it('gc keeps what the last N runs used', async () => {
    // History so far: a, b, c, c, a. Then b: the last 3 runs used c, a and b.
    await runCli(['run', 'p.yaml', '--set', 'suffix=b'], { cwd: ws.dir });
    const r = await runCli(['cache', 'gc', 'p.yaml', '--keep', '3', '--json'], { cwd: ws.dir });
    assert.equal((JSON.parse(r.stdout) as { removedKeys: number }).removedKeys, 0);
    const again = await runCli(['run', 'p.yaml', '--json', '--set', 'suffix=c'], { cwd: ws.dir });
    assert.deepEqual(statuses(again.events), { src: 'cached', up: 'cached', out: 'cached' });
  });

  it('clear empties the cache and says how much it freed; the next run recomputes', async () => {
    const r = await runCli(['cache', 'clear', 'p.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 0);
    // The output file links to its object: that much stays on the disk, and the message says so.
    assert.match(r.stdout, /^cleared \.lvis-pipe: removed [\d.]+ kB, freed [\d.]+ k?B; [\d.]+ k?B of it stays on the disk as long as the output files linked to it do$/m);
    assert.equal(countObjects(ws.cacheDir), 0);
    const again = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.deepEqual(statuses(again.events), { src: 'ran', up: 'ran', out: 'ran' });
  });

  it('a missing cache folder is a usage error (exit 2) for every subcommand', async () => {
    for (const sub of ['ls', 'verify', 'gc', 'clear']) {
      const r = await runCli(['cache', sub, '--cache-dir', 'nowhere'], { cwd: ws.dir });
      assert.equal(r.code, 2, sub);
      assert.match(r.stderr, /no cache folder at nowhere/);
    }
  });

  it('the help of the commands that take the lock lists exit status 75', async () => {
    for (const c of ['run', 'sweep', 'cache']) {
      const r = await runCli([c, '--help'], { cwd: ws.dir });
      assert.match(r.stdout, /\b75 the cache\s+is locked/, c);
    }
  });
});

describe('dag', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'x');
    ws.write('p.yaml', PIPELINE);
  });
  after(() => ws.remove());

  it('text, mermaid and dot show the steps, the wiring, files read and files written', async () => {
    const text = await runCli(['dag', 'p.yaml'], { cwd: ws.dir });
    assert.equal(
      text.stdout,
      'src (source)\n  ← path: file data/in.txt\n  → text (text)\nup (upper)\n  ← text: src.text (text)\n  → text (text)\nout (write)\n  ← text: up.text (text)\n  → file (file) → out/up.txt\n',
    );
    const mermaid = await runCli(['dag', 'p.yaml', '--format', 'mermaid'], { cwd: ws.dir });
    assert.match(mermaid.stdout, /^flowchart LR$/m);
    assert.match(mermaid.stdout, /^ {2}s_src -->\|text\| s_up$/m);
    assert.match(mermaid.stdout, /^ {2}s_out -.->\|file\| f1$/m);
    const dot = await runCli(['dag', 'p.yaml', '-f', 'dot'], { cwd: ws.dir });
    assert.match(dot.stdout, /^digraph pipeline \{/);
    assert.match(dot.stdout, /"src" -> "up" \[label="text"\];/);
    assert.match(dot.stdout, /"file:data\/in.txt" -> "src" \[style=dashed\];/);
    const bad = await runCli(['dag', 'p.yaml', '--format', 'svg'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of text, mermaid, dot/);
  });
});

describe('schema', () => {
  it('`schema` prints the editor schema composed from the registry; it accepts ${params.x} anywhere and catches bad options', async () => {
    const ws = new Workspace();
    try {
      const r = await runCli(['schema'], { cwd: ws.dir });
      const printed = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.deepEqual(printed, buildPipelineSchema(testRegistry(), { paramRefs: true }));
      const validate = new Ajv({ strict: false, allErrors: true }).compile(printed);
      const doc = { params: { n: 2 }, steps: { a: { type: 'source', options: { path: 'x' } }, b: { type: 'upper', inputs: { text: 'a' }, options: { repeat: '${params.n}' } } } };
      assert.equal(validate(doc), true, JSON.stringify(validate.errors));
      const bad = { steps: { b: { type: 'upper', inputs: { text: 'a' }, options: { repeat: 'two', colour: 1 } } } };
      assert.equal(validate(bad), false);
      const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
      assert.ok(paths.includes('/steps/b/options additionalProperties'), paths.join(', '));
      assert.ok(paths.some((p) => p.startsWith('/steps/b/options/repeat ')), paths.join(', '));
      const out = await runCli(['schema', '--out', 'schemas/p.json'], { cwd: ws.dir });
      assert.equal(out.code, 0);
      assert.deepEqual(JSON.parse(readFileSync(ws.path('schemas/p.json'), 'utf8')), printed);
    } finally {
      ws.remove();
    }
  });
});

describe('configuration and help', () => {
  it('a .lvis-piperc.yaml sets the cache folder and default params', async () => {
    const ws = new Workspace();
    try {
      ws.write('package.json', '{"name": "project"}');
      ws.write('.lvis-piperc.yaml', 'cacheDir: .cache/here\njobs: 1\nparams:\n  suffix: "?"\n  unrelated: 1\n');
      ws.write('data/in.txt', 'x');
      ws.write('pipes/p.yaml', PIPELINE.replace('data/in.txt', '../data/in.txt'));
      const r = await runCli(['run', 'pipes/p.yaml', '--json'], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(ws.read('pipes/out/up.txt'), 'X?');
      assert.equal(ws.lastRun(ws.path('.cache/here')).params.suffix, '?');
      const start = r.events.find((e) => e.type === 'run-start');
      assert.ok(start && start.type === 'run-start' && start.jobs === 1);
      // --set beats the config.
      await runCli(['run', 'pipes/p.yaml', '--set', 'suffix=!'], { cwd: ws.dir });
      assert.equal(ws.read('pipes/out/up.txt'), 'X!');
      ws.write('.lvis-piperc.yaml', 'cachedir: x\njobs: 0\n');
      const bad = await runCli(['validate', 'pipes/p.yaml'], { cwd: ws.dir });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /\.lvis-piperc\.yaml: unknown configuration key `cachedir`/);
      assert.match(bad.stderr, /\.lvis-piperc\.yaml: jobs must be a whole number ≥ 1/);
    } finally {
      ws.remove();
    }
  });

  it('a command marked as needing no step types (evaluate, synth) never reads the registry nor loads a pipeline, so it starts without the step modules', () => {
    const src = fileURLToPath(new URL('../../src/commands/', import.meta.url));
    const without = COMMANDS.filter((c) => !c.steps).map((c) => c.name);
    assert.deepEqual(without, ['evaluate', 'synth']);
    for (const name of without) {
      const text = readFileSync(path.join(src, `${name}.ts`), 'utf8');
      assert.doesNotMatch(text, /registry|from '\.\/common\.js'/, `${name}.ts reads the step registry or loads pipelines (common.ts): mark it steps: true`);
    }
  });

  it('every command has --help; unknown commands and flags are usage errors (exit 2)', async () => {
    const ws = new Workspace();
    try {
      for (const c of COMMANDS.filter((c) => ['run', 'plan', 'validate', 'dag', 'cache', 'schema'].includes(c.name))) {
        const r = await runCli([c.name, '--help'], { cwd: ws.dir });
        assert.equal(r.code, 0);
        assert.ok(r.stdout.startsWith(`usage: lvis-pipe ${c.name}`), r.stdout);
        assert.match(r.stdout, /example/);
      }
      const viaHelp = await runCli(['help', 'run'], { cwd: ws.dir });
      assert.equal(viaHelp.code, 0);
      assert.ok(viaHelp.stdout.startsWith('usage: lvis-pipe run'), viaHelp.stdout);
      assert.equal((await runCli(['frobnicate'], { cwd: ws.dir })).code, 2);
      const flag = await runCli(['run', 'p.yaml', '--frob'], { cwd: ws.dir });
      assert.equal(flag.code, 2);
      assert.match(flag.stderr, /unknown option --frob; `lvis-pipe run --help` lists the options/);
      const typo = await runCli(['run', 'p.yaml', '--frce', 'x'], { cwd: ws.dir });
      assert.equal(typo.code, 2);
      assert.match(typo.stderr, /unknown option --frce \(did you mean `--force`\?\); `lvis-pipe run --help` lists the options/);
    } finally {
      ws.remove();
    }
  });

  it('every usage mistake of every command is exit 2 with a message that says what to give, and no stack trace', async () => {
    const ws = new Workspace();
    try {
      ws.write('in.txt', 'x');
      ws.write('p.yaml', 'params:\n  alpha: 0.5\nsteps:\n  src: { type: source, options: { path: in.txt } }\n');
      const cases: [string[], RegExp][] = [
        [['cache'], /expected ls, verify, gc or clear/],
        [['cache', 'ls', 'p.yaml', 'extra'], /unexpected argument extra/],
        [['cache', 'gc', 'p.yaml', '--keep=-1'], /--keep must be a whole number ≥ 0, got -1/],
        [['cache', 'gc', 'p.yaml', '--keep', '-1'], /--keep must be a whole number ≥ 0, got -1/],
        [['cache', 'ls', 'nope.yaml'], /no pipeline file nope\.yaml: give the pipeline whose cache you mean, or --cache-dir DIR/],
        [['run', 'p.yaml', '--jobs', '0'], /--jobs must be a whole number ≥ 1, got "0"/],
        [['run', 'p.yaml', '--jobs', 'many'], /--jobs must be a whole number ≥ 1, got "many"/],
        [['run'], /missing the pipeline FILE/],
        [['run', 'p.yaml', 'q.yaml'], /expected one pipeline FILE, got 2/],
        [['run', 'p.yaml', '--lock-timeout', 'soon'], /--lock-timeout must be a number of seconds, got soon/],
        [['plan', 'p.yaml', 'q.yaml'], /expected one pipeline FILE/],
        [['plan', 'p.yaml', '--force', 'nope'], /no step `nope` in p\.yaml; its steps: src/],
        [['run', 'p.yaml', '--force', 'nope'], /no step `nope` in p\.yaml; its steps: src/],
        [['validate', 'p.yaml', 'q.yaml'], /expected one pipeline FILE/],
        [['dag', 'p.yaml', '--format', 'svg'], /--format must be one of text, mermaid, dot, got svg/],
        [['dag', 'p.yaml', 'q.yaml'], /expected one pipeline FILE/],
        [['schema', 'extra'], /unexpected argument extra/],
        [['report', 'p.yaml', 'q.yaml'], /expected one pipeline FILE, got 2/],
        [['runs'], /expected one pipeline FILE/],
        [['runs', 'p.yaml', '--limit', '0'], /--limit must be a whole number ≥ 1, got 0/],
        [['diff', 'p.yaml', 'abcd'], /expected two runs to compare \(or none, with FILE: its two newest\)/],
        [['diff'], /expected a pipeline FILE or two runs/],
        [['sweep', 'p.yaml', 'q.yaml'], /expected one pipeline FILE, got 2/],
        [['sweep', 'p.yaml', '--desc', '--asc'], /--desc and --asc contradict each other/],
        [['sweep', 'p.yaml', '--grid', 'alpha=0.1,0.2', '--chart-x', 'beta'], /--chart-x: no param `beta` in p\.yaml/],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(args, { cwd: ws.dir });
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message, args.join(' '));
        assert.doesNotMatch(r.stderr, /\n\s+at /, `${args.join(' ')}: no stack trace`);
      }
      assert.equal(existsSync(ws.path('.lvis-pipe', 'runs')), false, 'nothing ran');
    } finally {
      ws.remove();
    }
  });
});

describe('event lines', () => {
  it('a multi-line step log is indented as one block', () => {
    assert.equal(describeEvent({ type: 'step-log', runId: 'r', stepId: 'stats', message: 'f 405\nc 461\nr 337' }), '  stats: f 405\n         c 461\n         r 337');
  });

  it("a failed variant's label and a progress bar's file name show control characters escaped", async () => {
    const { failureText } = await import('../src/runner/reporters/describe.js');
    const { barText } = await import('../src/runner/reporters/tty.js');
    const label = 'url=http://x/\x1b]0;PWNED\x07';
    const failed = failureText({ type: 'step-failed', runId: 'r', label, stepId: 'load', stepType: 'load', key: 'k', durationMs: 1, interrupted: false, diagnostics: [{ severity: 'error', message: 'bad' }] });
    assert.ok(failed.startsWith('✗ [url=http://x/\\x1b]0;PWNED\\x07] load (load) failed:'), failed);
    const bar = barText({ type: 'step-progress', runId: 'r', stepId: 'train', label: 'reading lvis\x1b[2J.json', done: 1000, total: 4000, unit: 'bytes', detail: 'at \x07' });
    assert.deepEqual(bar, { step: 'train', label: 'reading lvis\\x1b[2J.json', amount: '1.0 kB/4.0 kB, at \\x07' });
  });
});

describe('summary table', () => {
  it('shows counts exactly and other metrics to 4 significant digits', () => {
    const line = describeOutput({
      name: 'quality',
      kind: 'lvis.sample-quality',
      storage: 'value',
      digest: 'd',
      size: 10,
      metrics: { annotations_kept: 23074, js_divergence: 0.0016812345, big: 1234567.891, more: 1 },
    });
    assert.equal(line, 'quality: annotations_kept=23074 js_divergence=0.001681 big=1235000 …');
  });
});

describe('text tables', () => {
  it('fit the width they are given: long cells are shortened in the middle, and columns that still do not fit go to another table led by the first column', async () => {
    const { table } = await import('../src/base/format.js');
    const narrow = table(['a', 'b'], [['1', '2']], 120);
    assert.equal(narrow, 'a  b\n-  -\n1  2');
    const header = ['run', ...Array.from({ length: 12 }, (_, i) => `metric_number_${i}`), 'note'];
    const rows = [['20261202-ab12', ...Array.from({ length: 12 }, (_, i) => `0.000${i}1234`), 'a free-text note that may run on']];
    const wide = table(header, rows, 120);
    const lines = wide.split('\n');
    assert.ok(lines.every((l) => l.length <= 120 || l.endsWith('a free-text note that may run on')), lines.map((l) => l.length).join(','));
    // Every cell is still there, each group led by the run column.
    for (let i = 0; i < 12; i++) assert.match(wide, new RegExp(`0\\.000${i}1234`));
    const leads = lines.filter((l) => l.startsWith('run'));
    assert.ok(leads.length >= 2, wide);
    const long = table(['id', 'path', 'x'], [['1', 'p'.repeat(200), 'y']], 120);
    assert.ok(long.split('\n').every((l) => l.length <= 120));
    assert.match(long, /p…p/);
  });

  it('shortened cells keep both ends, so headers that share a start stay told apart; with no width limit nothing is cut', async () => {
    const { table, streamWidth } = await import('../src/base/format.js');
    const header = ['run', 'started', 'ann_per_image', 'ann_per_image_ks', 'js_divergence_between_tiers', 'note'];
    const rows = [['ab12cd', '2026-12-07 14:03:22', '15.18', '0.0213', '0.000931', 'ok']];
    const cut = table(header, rows, 60).split('\n')[0]!;
    const cells = cut.split(/ {2,}/);
    assert.equal(new Set(cells).size, cells.length, `distinct headers: ${cut}`);
    assert.ok(cells.some((c) => c.endsWith('_ks')), cut);
    const whole = table(header, rows, streamWidth({ isTTY: false }));
    for (const cell of [...header, ...rows[0]!]) assert.ok(whole.includes(cell), cell);
    assert.equal(streamWidth({ isTTY: true, columns: 220 }), 220);
    assert.equal(streamWidth({}), Infinity, 'a pipe or a file: no limit');
  });

  // Probe 2: a sweep's dry run showed two variants' lists, which differ in the middle, as the
  // same cut value.
  it('a shortened column keeps its different cells different', async () => {
    const { table } = await import('../src/base/format.js');
    // They differ 20 characters from the end: a cut to the room (31) would keep 15 of the end.
    const cell = (x: string) => `${'x'.repeat(40)}${x}${'y'.repeat(19)}`;
    const rows = [['a', cell('A'), 'ok'], ['b', cell('B'), 'ok'], ['c', cell('A'), 'ok']];
    const text = table(['variant', 'ids', 'status'], rows, 44);
    const cells = text.split('\n').slice(2, 5).map((l) => l.split(/ {2,}/)[1]!);
    assert.ok(cells.every((c) => c.includes('…') && c.length < 60), text);
    assert.notEqual(cells[0], cells[1], text);
    assert.equal(cells[0], cells[2], 'equal cells stay equal');
    // Cells that differ only in their middle cannot be cut apart: they are shown whole.
    const middle = (x: string) => `${'x'.repeat(30)}${x}${'y'.repeat(30)}`;
    const whole = table(['variant', 'ids', 'status'], [['a', middle('1'), 'ok'], ['b', middle('2'), 'ok']], 44);
    assert.ok(whole.includes(middle('1')) && whole.includes(middle('2')), whole);
  });

  // Probe 2: on a wide terminal, fourteen columns all fit once cut to 12 characters, so every
  // cell was cut, where panels show them whole.
  it('on a wide terminal, panels that show cells whole win over one table that cuts them all short', async () => {
    const { table } = await import('../src/base/format.js');
    const header = ['variant', ...Array.from({ length: 13 }, (_, i) => `metric_with_long_name_${i}`)];
    const rows = [['alpha=0.4,tier=1', ...Array.from({ length: 13 }, (_, i) => `0.00${i}123456789`)]];
    const text = table(header, rows, 220);
    assert.doesNotMatch(text, /…/, text);
    assert.ok(text.includes('\n\n'), text);
    for (const line of text.split('\n')) assert.ok(line.length <= 220, line);
    // Cut a little (24 characters or more) in one table: kept as one table.
    const mild = table(['variant', 'a', 'b', 'status'], [['v', 'x'.repeat(40), 'y'.repeat(40), 'ok']], 70);
    assert.doesNotMatch(mild, /\n\n/, mild);
    assert.match(mild, /…/);
  });

  it('split into panels at an ordinary width, each panel cuts only what it has no room for', async () => {
    const { table } = await import('../src/base/format.js');
    // A runs table: eleven columns of real cells, too many for one 80-column table even cut to 12.
    const header = ['run', 'started', 'status', 'time', 'sweep', 'variant', 'alpha', 'total_images', 'js_divergence', 'ann_per_image_ks', 'share_mse', 'steps'];
    const rows = [
      ['3fa9c01b', '2026-12-07 16:06:08', 'ok', '1.52 s', '77ab01cd', 'alpha=0.4,tier=1', '0.4', '1000', '0.002131', '0.04121', '1.2e-05', '3 ran, 14 cached'],
      ['c01b3fa9', '2026-12-07 16:07:41', 'ok', '1.49 s', '77ab01cd', 'alpha=0.6,tier=1', '0.6', '1000', '0.002012', '0.03977', '1.1e-05', '3 ran, 14 cached'],
    ];
    for (const width of [80, 100]) {
      const text = table(header, rows, width);
      assert.ok(text.includes('\n\n'), `split into panels at ${width}: ${text}`);
      assert.doesNotMatch(text, /…/, `no cell cut at ${width}:\n${text}`);
      for (const cell of [...header, ...rows.flat()]) assert.ok(text.includes(cell), `${cell} whole at ${width}`);
      for (const line of text.split('\n')) assert.ok(line.length <= width || line.endsWith('14 cached'), `${line.length} > ${width}: ${line}`);
      // Every panel is led by the run column.
      for (const panel of text.split('\n\n')) assert.match(panel, /^run /);
    }
    // A cell too long for any panel (a sweep's dry-run folder) is still cut, keeping both ends,
    // but to the room of its panel, not to 12 characters.
    const folder = `/tmp/${'sweep-mini-lvis/'.repeat(6)}alpha=0.4,rare_cap=2,tier=1`;
    const dry = table(
      ['variant', 'alpha', 'rare_cap', 'total_images', 'density_band', 'lambda_tier', 'folder', 'would run', 'shared', 'cached'],
      [['alpha=0.4,rare_cap=2,tier=1', '0.4', '2', '1000', '0.05', '3', folder, 'sample, write, prune_val, prune_preds, evaluate, plots', '0', '11']],
      80,
    );
    for (const line of dry.split('\n')) assert.ok(line.length <= 80, `${line.length} > 80: ${line}`);
    const folderLine = dry.split('\n').find((l) => l.includes('/tmp/'))!;
    const cell = folderLine.split(/ {2,}/).find((c) => c.startsWith('/tmp/'))!;
    assert.match(cell, /^\/tmp\/sweep-mini-lvis\/.*….*,rare_cap=2,tier=1$/, dry);
    const room = 80 - 'alpha=0.4,rare_cap=2,tier=1'.length - 2;
    assert.equal(cell.length, room, `the folder gets its panel's room, not 12 characters: ${cell}`);
    assert.ok(dry.includes('  density_band'), `the short columns are whole:\n${dry}`);
  });

  it('the free-text last column runs on, but its separator line stays within the width', async () => {
    const { table } = await import('../src/base/format.js');
    const why = 'option path data/sample/lvis_v1_val_synth.json.gz → /tmp/p24/val_copy2.json; file /tmp/p24/val_copy2.json added';
    const text = table(['step', 'type', 'plan', 'key', 'why'], [['val', 'load', 'will run', 'ee9ab5e160b7', why], ['train', 'load', 'cached', 'b95d265502ff', '']], 80);
    const [head, sep, first] = text.split('\n');
    assert.ok(sep!.length <= 80, `separator of ${sep!.length} characters wraps on 80 columns: ${sep}`);
    assert.ok(head!.endsWith('why'));
    assert.ok(first!.endsWith(why), 'the free text is whole');
    assert.ok(table(['step', 'why'], [['val', why]], Infinity).split('\n')[1]!.endsWith('-'.repeat(why.length)), 'with no limit the separator is as long as the text');
  });

  it('the terminal width: its own size, else COLUMNS (as ls), else 80; a pipe or a file never cuts', async () => {
    const { streamWidth } = await import('../src/base/format.js');
    assert.equal(streamWidth({ isTTY: true, columns: 100 }, { COLUMNS: '220' }), 100, 'the size the terminal reports wins');
    assert.equal(streamWidth({ isTTY: true, columns: 0 }, { COLUMNS: '220' }), 220);
    assert.equal(streamWidth({ isTTY: true }, { COLUMNS: '132' }), 132);
    assert.equal(streamWidth({ isTTY: true }, { COLUMNS: 'wide' }), 80, 'a COLUMNS that is not a width is ignored');
    assert.equal(streamWidth({ isTTY: true }, { COLUMNS: '0' }), 80);
    assert.equal(streamWidth({ isTTY: true }, {}), 80);
    assert.equal(streamWidth({ isTTY: false }, { COLUMNS: '100' }), Infinity);
  });

  it('control characters in cells are shown escaped, and the columns line up on the escaped text', async () => {
    const { table } = await import('../src/base/format.js');
    const text = table(['param', 'a', 'b'], [['images_url', 'http://x/\x1b]0;PWNED\x07\x1b[2J/', 'http://x/'], ['seed', '1', '2']], Infinity);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/);
    assert.ok(text.includes('http://x/\\x1b]0;PWNED\\x07\\x1b[2J/'), text);
    const lines = text.split('\n');
    assert.equal(lines[2]!.indexOf('http://x/', 20), lines[3]!.indexOf('2'), text);
  });
});

describe('paths in messages', () => {
  it('show a control character of a file name escaped (cache, report and every other message name files through displayPath)', async () => {
    const { displayPath } = await import('../src/base/display-path.js');
    assert.equal(displayPath('/tmp/bad\x1b[2J\x07.yaml', '/work'), '/tmp/bad\\x1b[2J\\x07.yaml');
    assert.equal(displayPath('/work/out/a.json', '/work'), 'out/a.json');
  });
});

describe('step warnings', () => {
  it('are taken from the run record (a cache hit has them too) and repeated under the run summary', async () => {
    const { fillFromRecord } = await import('../src/runner/exec/summary.js');
    const { summaryText } = await import('../src/runner/reporters/describe.js');
    const summary = { id: 'evaluate', type: 'evaluate', key: 'k', status: 'cached' as const, durationMs: 3, outputs: [], reasons: [] };
    const step = { outputPaths: {} } as unknown as Parameters<typeof fillFromRecord>[1];
    const record = { outputs: {}, logs: ['box AP 0.3', 'warning: the predictions cover only 5 of the GT\'s 600 images (0.83%)'] } as unknown as Parameters<typeof fillFromRecord>[2];
    fillFromRecord(summary, step, record);
    assert.deepEqual((summary as { warnings?: string[] }).warnings, ["warning: the predictions cover only 5 of the GT's 600 images (0.83%)"]);
    const text = summaryText([summary], 'ok', 10, Infinity);
    assert.match(text, /\na warning:\n {2}evaluate: warning: the predictions cover only 5/);
  });
});
