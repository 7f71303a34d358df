/**
 * The sweep's parts on their own: `--grid` values, the grid's expansion, variant folder
 * names (safe, readable, never colliding), moving output paths into a variant's folder,
 * and the comparison (metric names, sorting, CSV).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../src/base/diagnostic.js';
import { type StepSummary } from '../src/runner/exec/summary.js';
import type { ParamDecl } from '../src/runner/pipeline/params.js';
import { loadPipeline } from '../src/runner/pipeline/pipeline.js';
import { outputRoot, withOutputFolder } from '../src/runner/sweep/paths.js';
import { buildSweepReport, findMetric, metricDisplayNames, sweepCsv, sweepTableText, type BuildReportOptions } from '../src/runner/sweep/report.js';
import { type SweepVariantOutcome } from '../src/runner/sweep/report.js';
import { encodeNamePart, expandVariants, parseGridArg, variantFolderNames, type SweepSpec } from '../src/runner/sweep/grid.js';
import { Workspace } from './helpers/runner-fixture.js';
import { testRegistry } from './helpers/runner-steps.js';

const decls = new Map<string, ParamDecl>([
  ['alpha', { name: 'alpha', type: 'number', default: 0.6, docPath: ['params', 'alpha'] }],
  ['pool', { name: 'pool', type: 'any', default: 64, docPath: ['params', 'pool'] }],
  ['tag', { name: 'tag', type: 'string', default: 'x', docPath: ['params', 'tag'] }],
  ['ids', { name: 'ids', type: 'array', default: [], docPath: ['params', 'ids'] }],
]);

function grid(arg: string) {
  const diags: Diagnostic[] = [];
  const g = parseGridArg(arg, '/cwd', decls, diags);
  return { g, diags: diags.map((d) => d.message) };
}

describe('--grid values', () => {
  it('are YAML: numbers, words, quoted strings with commas, flow lists', () => {
    assert.deepEqual(grid('alpha=0.4, 0.6,1e-1').g!.values.map((v) => v.value), [0.4, 0.6, 0.1]);
    assert.deepEqual(grid('pool=64,all').g!.values.map((v) => v.value), [64, 'all']);
    assert.deepEqual(grid('ids=[1,2],[3]').g!.values.map((v) => v.value), [[1, 2], [3]]);
    const tags = grid('tag="a,b",007,true').g!;
    assert.deepEqual(tags.values.map((v) => v.value), ['a,b', 7, true]);
    // The text as typed goes with each value: a string param takes `007` and `true` as written.
    assert.deepEqual(tags.values.map((v) => v.text), ['"a,b"', '007', 'true']);
    const { variants } = expandVariants({ grid: [tags], variants: [], order: 'asc', chart: {} }, decls);
    assert.deepEqual(variants.map((v) => v.values.tag), ['a,b', '007', 'true']);
  });

  it('report a missing `=`, no values, an unknown param, bad YAML', () => {
    assert.deepEqual(grid('alpha').diags, ['--grid alpha: expected name=value1,value2,...']);
    assert.deepEqual(grid('alpha=').diags, ['--grid alpha=: no values; expected name=value1,value2,...']);
    assert.deepEqual(grid('alpah=1').diags, ["--grid alpah=1: unknown param `alpah` (did you mean `alpha`?); the pipeline's params are `alpha`, `pool`, `tag`, `ids`"]);
    assert.match(grid('ids=[1,2').diags[0]!, /^--grid ids=\[1,2: the values are not valid YAML: /);
  });
});

function spec(gridNames: [string, unknown[]][], variants: Record<string, unknown>[] = []): SweepSpec {
  const o = (name: string, value: unknown) => ({ name, value, origin: { kind: 'sweep' as const, label: 'test' }, baseDir: '/' });
  return {
    grid: gridNames.map(([name, values]) => ({ name, values: values.map((v) => o(name, v)) })),
    variants: variants.map((v) => Object.entries(v).map(([k, x]) => o(k, x))),
    order: 'asc',
    chart: {},
  };
}

describe('variants', () => {
  it('are the grid’s product, the first param slowest, then the explicit variants, without duplicates', () => {
    const { variants, duplicates } = expandVariants(spec([['alpha', [0.4, 0.8]], ['pool', [16, 'all']]], [{ alpha: 0.4, pool: 16 }, { alpha: 0.5 }]), decls);
    assert.deepEqual(variants.map((v) => v.values), [
      { alpha: 0.4, pool: 16 },
      { alpha: 0.4, pool: 'all' },
      { alpha: 0.8, pool: 16 },
      { alpha: 0.8, pool: 'all' },
      { alpha: 0.5 },
    ]);
    assert.equal(duplicates, 1);
    assert.deepEqual(expandVariants(spec([]), decls).variants, []);
  });
});

describe('variant folder names', () => {
  const names = (...vs: Record<string, unknown>[]) => variantFolderNames(vs.map((values) => ({ pairs: Object.entries(values), values })));

  it('are name=value pairs; values outside [A-Za-z0-9._+-] are %-encoded, so no value makes a subfolder or an ambiguous name', () => {
    assert.deepEqual(names({ alpha: 0.4, total_images: 5000 }, { alpha: -1e-7, total_images: 500 }), ['alpha=0.4,total_images=5000', 'alpha=-1e-7,total_images=500']);
    assert.equal(encodeNamePart('../x/y z'), '..%2Fx%2Fy%20z');
    assert.equal(encodeNamePart('é,='), '%C3%A9%2C%3D');
    // Without encoding `,` and `=` these two would both read `a=1,b=2,c=3`.
    const [p, q] = names({ a: '1,b=2', c: 3 }, { a: 1, c: '2,c=3' });
    assert.notEqual(p, q);
    assert.equal(names({})[0], 'default');
  });

  it('differ also when compared ignoring case (macOS, Windows), and stay short', () => {
    const [a, b] = names({ tag: 'Big' }, { tag: 'big' });
    assert.notEqual(a!.toLowerCase(), b!.toLowerCase());
    assert.match(a!, /^tag=Big-[0-9a-f]{8}$/);
    const long = names({ ids: Array.from({ length: 60 }, (_, i) => i) }, { ids: Array.from({ length: 60 }, (_, i) => i + 1) });
    assert.ok(long.every((n) => n.length <= 100));
    assert.notEqual(long[0], long[1]);
    assert.doesNotMatch(long[0]!, /%[0-9A-F]?-/, 'no %-escape is cut in half');
  });
});

describe('output paths of a variant', () => {
  it('move from below the folder of all output files into the variant’s folder, keeping subfolders', () => {
    const ws = new Workspace();
    try {
      ws.write('data/in.txt', 'x');
      ws.write(
        'p.yaml',
        'steps:\n  src: { type: source, options: { path: data/in.txt } }\n' +
          '  a: { type: write, inputs: { text: src }, options: { out: out/a.txt } }\n' +
          '  b: { type: write, inputs: { text: src }, options: { out: out/deep/b.txt } }\n' +
          '  c: { type: write, inputs: { text: src } }\n',
      );
      const p = loadPipeline(ws.path('p.yaml'), testRegistry());
      assert.equal(outputRoot(p), ws.path('out'));
      const v = withOutputFolder(p, ws.path('out/sweep/alpha=1'));
      assert.deepEqual(v.steps.get('a')!.outputPaths, { file: ws.path('out/sweep/alpha=1/a.txt') });
      assert.equal(v.steps.get('b')!.options.out, ws.path('out/sweep/alpha=1/deep/b.txt'));
      assert.deepEqual(v.steps.get('c')!.outputPaths, {});
      // The plain pipeline is untouched.
      assert.equal(p.steps.get('a')!.outputPaths.file, ws.path('out/a.txt'));
      assert.equal(path.relative(ws.dir, outputRoot({ ...p, steps: new Map([['src', p.steps.get('src')!]]) })), '');
    } finally {
      ws.remove();
    }
  });
});

function outcome(name: string, status: SweepVariantOutcome['status'], params: Record<string, unknown>, metrics: Record<string, Record<string, unknown>>): SweepVariantOutcome {
  const steps: StepSummary[] = [{ id: 's', type: 't', key: 'k', status: status === 'ok' ? 'ran' : 'failed', durationMs: 1, outputs: [], reasons: [] }];
  return { name, folder: `/out/${name}`, varying: params, status, durationMs: 10, steps, metrics, ...(status === 'ok' ? {} : { error: 's: broke' }) };
}

const OPTS: BuildReportOptions = { sweepId: 'id', pipeline: 'p.yaml', startedAt: '', durationMs: 0, jobs: 2, varying: ['alpha'], outDir: '/out', order: 'asc', warn: () => {} };

describe('the comparison', () => {
  it('names a metric by its last part when that is unique, else in full; finds it either way', () => {
    const d = metricDisplayNames(['a.q.mse', 'b.q.mse', 'a.q.js']);
    assert.deepEqual([...d.values()], ['a.q.mse', 'b.q.mse', 'js']);
    assert.deepEqual(findMetric('js', d), { name: 'js' });
    assert.deepEqual(findMetric('a.q.js', d), { name: 'js' });
    assert.deepEqual(findMetric('q.js', d), { name: 'js' });
    assert.match((findMetric('mse', d) as { error: string }).error, /^metric `mse` is ambiguous: `a\.q\.mse`, `b\.q\.mse`$/);
    assert.match((findMetric('jss', d) as { error: string }).error, /^no metric `jss` \(did you mean `js`\?\)/);
  });

  it('sorts by the metric (failed variants last), shows the metrics that differ, warns about unknown names', () => {
    const warnings: string[] = [];
    const r = buildSweepReport(
      [
        outcome('alpha=1', 'ok', { alpha: 1 }, { 'm.q': { err: 0.3, n: 5, same: 1 } }),
        outcome('alpha=2', 'failed', { alpha: 2 }, {}),
        outcome('alpha=3', 'ok', { alpha: 3 }, { 'm.q': { err: 0.1, n: 7, same: 1 } }),
        outcome('alpha=4', 'ok', { alpha: 4 }, { 'm.q': { err: 0.2, n: 6, same: 1 } }),
      ],
      { ...OPTS, sortBy: 'err', warn: (m) => warnings.push(m) },
    );
    assert.deepEqual(r.variants.map((v) => v.name), ['alpha=3', 'alpha=4', 'alpha=1', 'alpha=2']);
    assert.deepEqual(r.shown, ['err', 'n']);
    assert.equal(r.status, 'failed');
    const desc = buildSweepReport([outcome('a', 'ok', {}, { 'm.q': { err: 0.3 } }), outcome('b', 'ok', {}, { 'm.q': { err: 0.5 } })], { ...OPTS, order: 'desc', sortBy: 'bogus', warn: (m) => warnings.push(m) });
    assert.deepEqual(desc.variants.map((v) => v.name), ['b', 'a'], 'falls back to the first metric');
    assert.deepEqual(warnings, ['sort: no metric `bogus`; the metrics: `err`']);
  });

  it('a chosen metric ending in ? is shown when a variant has it, and left out without a warning when none does', () => {
    const warnings: string[] = [];
    const runs = [outcome('a', 'ok', {}, { 'm.q': { err: 0.3, 'segm/AP': 0.2 } }), outcome('b', 'ok', {}, { 'm.q': { err: 0.5 } })];
    const with_ = buildSweepReport(runs, { ...OPTS, metrics: ['err', 'segm/AP?'], warn: (m) => warnings.push(m) });
    assert.deepEqual(with_.shown, ['err', 'segm/AP']);
    const without = buildSweepReport([runs[1]!], { ...OPTS, metrics: ['err', 'segm/AP?', 'typo'], warn: (m) => warnings.push(m) });
    assert.deepEqual(without.shown, ['err']);
    assert.deepEqual(warnings, ['metrics: no metric `typo`; the metrics: `err`']);
  });

  // Probe 2: piped, a long param value was cut at 40 characters and an error at 70, though a
  // pipe or a file has no width.
  it('the table: piped, long param values and errors are whole; on a terminal they are cut to fit', () => {
    const ids = Array.from({ length: 30 }, (_, i) => 1000 + i);
    const error = `s: ${'the step broke because of a long reason, '.repeat(3)}end`;
    const failed = { ...outcome('ids=b', 'failed', { ids: [...ids, 1] }, {}), error: `${error}\nsecond line` };
    const r = buildSweepReport([outcome('ids=a', 'ok', { ids }, { 'm.q': { err: 0.3 } }), failed], { ...OPTS, varying: ['ids'] });
    const piped = sweepTableText(r, Infinity);
    assert.ok(piped.includes(`[${ids.join(',')}]`), piped);
    assert.ok(piped.includes(`[${ids.join(',')},1]`), piped);
    assert.ok(piped.includes(`failed: ${error}`), piped);
    assert.doesNotMatch(piped, /…|second line/);
    const tty = sweepTableText(r, 100);
    assert.ok(tty.includes(`failed: ${error.slice(0, 69)}…`), tty);
    assert.match(tty, /\[1000,.*…/);
  });

  it('CSV: every metric at full precision, fields with commas or quotes quoted', () => {
    const r = buildSweepReport([outcome('tag="a,b"', 'ok', { tag: 'a,"b"' }, { 'm.q': { err: 1 / 3 } })], { ...OPTS, varying: ['tag'] });
    const [header, row] = sweepCsv(r).split('\r\n');
    assert.equal(header, 'rank,variant,status,tag,err,time_s,ran,shared,cached,failed,skipped,run_id,folder,error');
    assert.equal(row, `1,"tag=""a,b""",ok,"a,""b""",${1 / 3},0.01,1,0,0,0,0,,"/out/tag=""a,b""",`);
  });
});

describe('sweep chart', () => {
  it('starts the y axis at zero for same-signed values, says the spread, and tells coinciding series apart', async () => {
    const { sweepChartSpec, chooseSweepChart } = await import('../src/commands/sweep-chart.js');
    // total_images 500/1000 × seed 1/2: seed changes nothing here, the two lines coincide.
    const variants = [
      outcome('a', 'ok', { total_images: 500, seed: 1 }, { 'm.q': { js: 0.0236 } }),
      outcome('b', 'ok', { total_images: 1000, seed: 1 }, { 'm.q': { js: 0.0229 } }),
      outcome('c', 'ok', { total_images: 500, seed: 2 }, { 'm.q': { js: 0.0236 } }),
      outcome('d', 'ok', { total_images: 1000, seed: 2 }, { 'm.q': { js: 0.0229 } }),
    ];
    const r = buildSweepReport(variants, { ...OPTS, varying: ['total_images', 'seed'], sortBy: 'js' });
    const choice = chooseSweepChart(r, {})!;
    const spec = sweepChartSpec(r, choice) as unknown as { title: { subtitle: string[] }; encoding: Record<string, { scale?: { zero?: boolean }; field?: string }> };
    assert.equal(spec.encoding.y!.scale!.zero, true, 'a 3% spread is not drawn as a cliff');
    assert.ok(spec.title.subtitle.includes('js from 0.0229 to 0.0236: 2.97% apart'), spec.title.subtitle.join(' | '));
    assert.ok(spec.title.subtitle.includes('one line hides another: seed=1 and seed=2 give the same values'), spec.title.subtitle.join(' | '));
    for (const channel of ['color', 'strokeDash', 'shape']) assert.equal(spec.encoding[channel]!.field, 'series', channel);
    const mixed = buildSweepReport([outcome('a', 'ok', { x: 1 }, { 'm.q': { d: -0.5 } }), outcome('b', 'ok', { x: 2 }, { 'm.q': { d: 0.5 } })], { ...OPTS, varying: ['x'], sortBy: 'd' });
    const m = sweepChartSpec(mixed, chooseSweepChart(mixed, {})!) as unknown as { encoding: { y: { scale: { zero: boolean } } } };
    assert.equal(m.encoding.y.scale.zero, false, 'values of both signs: the axis fits them');
  });
});
