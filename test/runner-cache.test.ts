/**
 * The cache: a hit or a miss for each part of the key, hits after reverting, output files
 * materialized and restored, stat-cache behaviour, failures, --force/--only, metrics in the
 * history, worker threads, identical results across --jobs, and in-flight sharing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Executor } from '../src/runner/exec/executor.js';
import type { RunEvent } from '../src/runner/exec/events.js';
import { KEY_SCHEME, keyOf } from '../src/runner/cache/key.js';
import { StatCache } from '../src/runner/cache/file-digests.js';
import { type KeyMaterial } from '../src/runner/cache/records.js';
import { loadPipeline } from '../src/runner/pipeline/pipeline.js';
import { CacheStore } from '../src/runner/cache/store.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';
import { ALL_CACHED, PIPELINE, run, setup } from './helpers/cache-pipeline.js';
import { testRegistry } from './helpers/runner-steps.js';


describe('runner cache', () => {
  let ws: Workspace;
  before(() => {
    ws = setup();
  });
  after(() => ws.remove());

  it('runs everything the first time and writes the output file', async () => {
    const r = await run(ws);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.status, { src: 'ran', up: 'ran', other: 'ran', both: 'ran', n: 'ran', out: 'ran' });
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!+other text');
  });

  it('is all hits the second time', async () => {
    const r = await run(ws);
    assert.equal(r.code, 0);
    assert.deepEqual(r.status, ALL_CACHED);
  });

  it('an option change reruns that step and its dependents only', async () => {
    const r = await run(ws, '--set', 'suffix=Q');
    assert.deepEqual(r.status, { src: 'cached', up: 'ran', other: 'cached', both: 'ran', n: 'ran', out: 'ran' });
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLDQ+other text');
  });

  it('reverting the option is a hit, and rewrites the output file from the store', async () => {
    const r = await run(ws);
    assert.deepEqual(r.status, ALL_CACHED);
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!+other text');
    const cached = r.events.find((e) => e.type === 'step-cached' && e.stepId === 'out');
    assert.ok(cached && cached.type === 'step-cached');
    assert.equal(cached.restored.length, 1);
    assert.match(cached.restored[0]!, /out\/result\.txt$/);
  });

  it('a changed input file reruns the steps that read it, and what depends on them', async () => {
    ws.write('data/other.txt', 'changed text');
    const r = await run(ws);
    assert.deepEqual(r.status, { src: 'cached', up: 'cached', other: 'ran', both: 'ran', n: 'ran', out: 'ran' });
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!+changed text');
  });

  it('restoring the file content is a hit again (keys are content digests)', async () => {
    ws.write('data/other.txt', 'other text');
    const r = await run(ws);
    assert.deepEqual(r.status, ALL_CACHED);
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!+other text');
  });

  it('touching a file without changing it is a hit (content, not mtime, decides)', async () => {
    const later = new Date(Date.now() + 5000);
    utimesSync(ws.path('data/in.txt'), later, later);
    const r = await run(ws);
    assert.deepEqual(r.status, ALL_CACHED);
  });

  it('an input rewired to another step reruns the reader', async () => {
    ws.write('p2.yaml', PIPELINE.replace('inputs: { a: up, b: other.text }', 'inputs: { a: other, b: up.text }'));
    const r = await runCli(['run', 'p2.yaml', '--json'], { cwd: ws.dir });
    assert.deepEqual(statuses(r.events), { src: 'cached', up: 'cached', other: 'cached', both: 'ran', n: 'ran', out: 'ran' });
    assert.equal(ws.read('out/result.txt'), 'other text+HELLO WORLD!');
  });

  it('a new step version reruns that step; its dependents reuse their results when its output is unchanged', async () => {
    await run(ws);
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: testRegistry({ concat: 2 }) });
    // Downstream keys include the upstream key, so n and out miss; but `both` wrote the same
    // bytes as before, so their inputs are unchanged in content: early cutoff.
    assert.deepEqual(statuses(r.events), { src: 'cached', up: 'cached', other: 'cached', both: 'ran', n: 'cached', out: 'cached' });
    const n = r.events.find((e) => e.type === 'step-cached' && e.stepId === 'n');
    assert.ok(n && n.type === 'step-cached');
    assert.deepEqual(n.reasons, ['input `text` changed', 'but its inputs are byte-identical to an earlier run’s: that result is reused']);
    const start = r.events.find((e) => e.type === 'step-start' && e.stepId === 'both');
    assert.ok(start && start.type === 'step-start');
    assert.deepEqual(start.reasons, ['step version changed (1 → 2)']);
  });

  it('the key covers the hashing-scheme version and every part of the material', () => {
    const m: KeyMaterial = { scheme: KEY_SCHEME, type: 't', version: 1, options: { a: 1 }, inputs: { x: 'k/o' }, files: { 'f.txt': 'd' } };
    const k = keyOf(m);
    assert.equal(keyOf({ ...m, options: { a: 1 } }), k, 'same material, same key');
    for (const changed of [
      { ...m, scheme: KEY_SCHEME + 1 },
      { ...m, type: 'u' },
      { ...m, version: 2 },
      { ...m, options: { a: 2 } },
      { ...m, inputs: { x: 'k2/o' } },
      { ...m, files: { 'f.txt': 'e' } },
    ]) {
      assert.notEqual(keyOf(changed), k);
    }
  });

  it('a file changed in place with the same size and mtime is not taken for the old one (the stat cache checks ctime too)', async () => {
    // The rule itself: an entry is trusted only if device, inode, size, mtime and ctime all match.
    const cache = new StatCache(ws.path('stat-test.json'));
    const st = statSync(ws.path('data/other.txt'));
    cache.record('/f', st, 'd1', st.mtimeMs + 10_000);
    assert.equal(cache.lookup('/f', st), 'd1');
    const sameSizeAndMtime = Object.assign(Object.create(Object.getPrototypeOf(st) as object) as typeof st, st, { ctimeMs: st.ctimeMs + 1 });
    assert.equal(cache.lookup('/f', sameSizeAndMtime), undefined, 'a new ctime means: read it again');
    // And through a run: rewritten in place, same size, mtime set back as `cp -p` or `touch -r` would.
    const file = ws.path('data/other.txt');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.toUpperCase());
    utimesSync(file, st.atimeMs / 1000, st.mtimeMs / 1000);
    assert.equal(statSync(file).size, st.size);
    assert.equal((await run(ws)).status.other, 'ran', 'rehashed and rerun');
    writeFileSync(file, original);
    utimesSync(file, st.atimeMs / 1000, st.mtimeMs / 1000);
    assert.equal((await run(ws)).status.other, 'cached', 'the old content is a hit again');
    await run(ws); // leave the workspace as the next tests expect it
  });

  it('the key does not cover where an output file is copied to: moving it only re-materializes', async () => {
    ws.write('p3.yaml', PIPELINE.replace('out/result.txt', 'elsewhere/copy.txt'));
    const r = await runCli(['run', 'p3.yaml', '--json'], { cwd: ws.dir });
    assert.deepEqual(statuses(r.events), ALL_CACHED);
    assert.equal(ws.read('elsewhere/copy.txt'), 'HELLO WORLD!+other text');
  });
});

describe('failures, --force and --only', () => {
  let ws: Workspace;
  before(() => {
    ws = setup();
  });
  after(() => ws.remove());

  it('a failing step skips its dependents, the others finish, exit status 1', async () => {
    ws.write(
      'f.yaml',
      `steps:
  src: { type: source, options: { path: data/in.txt } }
  bad: { type: fail, inputs: { text: src }, options: { message: "record 7: bbox has a negative width" } }
  after_bad: { type: upper, inputs: { text: bad } }
  after_after: { type: count, inputs: { text: after_bad } }
  fine: { type: upper, inputs: { text: src } }
`,
    );
    const r = await runCli(['run', 'f.yaml', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 1);
    assert.deepEqual(statuses(r.events), { src: 'ran', bad: 'failed', after_bad: 'skipped', after_after: 'skipped', fine: 'ran' });
    const failed = r.events.find((e) => e.type === 'step-failed');
    assert.ok(failed && failed.type === 'step-failed');
    assert.equal(failed.diagnostics?.[0]?.message, 'record 7: bbox has a negative width');
    assert.equal(failed.error, undefined, 'a user error carries no stack');
    const skipped = r.events.find((e) => e.type === 'step-skipped' && e.stepId === 'after_bad');
    assert.ok(skipped && skipped.type === 'step-skipped');
    assert.equal(skipped.reason, 'dependency `bad` failed');
    // Nothing was recorded for the failed step.
    assert.equal(ws.records().filter((x) => x.stepId === 'bad').length, 0);
  });

  it('prints a user error as file:line:col without a stack, and a bug with its stack', async () => {
    const user = await runCli(['run', 'f.yaml'], { cwd: ws.dir });
    assert.match(user.stderr, /✗ bad \(fail\) failed:\n {2}data\/input\.txt:3:7: record 7: bbox has a negative width/);
    assert.doesNotMatch(user.stderr, /\n\s+at /);
    ws.write('g.yaml', `steps:\n  boom: { type: fail, options: { kind: bug, message: oops } }\n`);
    const bug = await runCli(['run', 'g.yaml'], { cwd: ws.dir });
    assert.equal(bug.code, 1);
    assert.match(bug.stderr, /boom \(fail\) crashed; this is a bug/);
    assert.match(bug.stderr, /TypeError: oops\n\s+at /);
  });

  it('--force reruns the named step only; --force-all reruns everything', async () => {
    await run(ws);
    const one = await run(ws, '--force', 'up');
    assert.deepEqual(one.status, { ...ALL_CACHED, up: 'ran' });
    const all = await run(ws, '--force-all');
    assert.ok(Object.values(all.status).every((s) => s === 'ran'));
  });

  it('--only runs a step and what it needs', async () => {
    const r = await run(ws, '--only', 'up', '--set', 'suffix=Z');
    assert.deepEqual(r.status, { src: 'cached', up: 'ran' });
  });

  it('an unknown --force/--only step is an error (exit 2)', async () => {
    const r = await runCli(['run', 'p.yaml', '--only', 'nope'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no step `nope`/);
  });
});

describe('history, metrics, workers, jobs', () => {
  let ws: Workspace;
  before(() => {
    ws = setup();
  });
  after(() => ws.remove());

  it('the history records params, each step and the metrics outputs', async () => {
    await run(ws, '--set', 'suffix=T');
    const h = ws.lastRun();
    assert.equal(h.status, 'ok');
    assert.equal(h.params.suffix, 'T');
    assert.deepEqual(h.metrics, { 'n.stats': { chars: 23, words: 3 } });
    assert.equal(h.steps.out!.outputs.file!.path, ws.path('out/result.txt'));
    // Metrics come back from the run record on a hit, without decoding anything.
    await run(ws, '--set', 'suffix=T');
    assert.deepEqual(ws.lastRun().metrics, { 'n.stats': { chars: 23, words: 3 } });
    assert.equal(ws.lastRun().steps.n!.status, 'cached');
  });

  it('a cpu-heavy step runs in a worker thread with --jobs > 1, on the main thread with --jobs 1, with the same result', async () => {
    ws.write('h.yaml', `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  h: { type: heavy, inputs: { text: src }, options: { rounds: 300 } }\n`);
    const inWorker = await runCli(['run', 'h.yaml', '--json', '--jobs', '2', '--cache-dir', 'c1'], { cwd: ws.dir });
    const onMain = await runCli(['run', 'h.yaml', '--json', '--jobs', '1', '--cache-dir', 'c2'], { cwd: ws.dir });
    const log = (events: RunEvent[]) => events.find((e) => e.type === 'step-log' && e.stepId === 'h');
    assert.match((log(inWorker.events) as { message: string }).message, /^worker thread \d+$/);
    assert.equal((log(onMain.events) as { message: string }).message, 'main thread');
    const digest = (dir: string) => ws.records(ws.path(dir)).find((x) => x.stepId === 'h')!.outputs.text!.digest;
    assert.equal(digest('c1'), digest('c2'));
    const progress = inWorker.events.filter((e) => e.type === 'step-progress' && e.stepId === 'h');
    assert.ok(progress.length >= 2, 'progress comes back from the worker');
  });

  it('a step with a warmUp hook gets a worker warmed up while the step it reads from runs; a guess that proves wrong costs nothing', async () => {
    ws.write('w.yaml', `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.s}" } }\n  w: { type: warm-heavy, inputs: { text: up } }\nparams: { s: "" }\n`);
    const log = (events: RunEvent[]) => (events.find((e) => e.type === 'step-log' && e.stepId === 'w') as { message: string } | undefined)?.message;
    // Cold: \`up\` runs, so \`w\` (no record yet) gets its worker early, warmed up.
    let r = await runCli(['run', 'w.yaml', '--json', '--jobs', '2', '--cache-dir', 'cw'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(log(r.events), 'worker thread, warmed up');
    const first = ws.read('data/in.txt');
    // Only \`w\` is new (a forced rerun, its upstream cached): nothing ran before it to warm it during.
    r = await runCli(['run', 'w.yaml', '--json', '--jobs', '2', '--cache-dir', 'cw', '--force', 'w'], { cwd: ws.dir });
    assert.equal(log(r.events), 'worker thread, cold');
    // \`up\` reruns with a new suffix: \`w\` is warmed and runs warm; the same result as a cold worker.
    r = await runCli(['run', 'w.yaml', '--json', '--jobs', '2', '--cache-dir', 'cw', '--set', 's=!'], { cwd: ws.dir });
    assert.equal(log(r.events), 'worker thread, warmed up');
    const warmDigest = ws.records(ws.path('cw')).filter((x) => x.stepId === 'w').map((x) => x.outputs.text!.digest);
    r = await runCli(['run', 'w.yaml', '--json', '--jobs', '2', '--cache-dir', 'cw2', '--set', 's=!'], { cwd: ws.dir });
    assert.ok(warmDigest.includes(ws.records(ws.path('cw2')).find((x) => x.stepId === 'w')!.outputs.text!.digest));
    // A wrong guess: \`up\` changes (a new key for \`w\`, so it is warmed) but its output does not
    // (digits have no case), and \`w\` is a hit by early cutoff. Its prepared worker is ended unused.
    ws.write('digits.txt', '12345');
    ws.write('d.yaml', `steps:\n  src: { type: source, options: { path: digits.txt } }\n  up: { type: upper, inputs: { text: src }, options: { mode: "\${params.m}" } }\n  w: { type: warm-heavy, inputs: { text: up } }\nparams: { m: upper }\n`);
    r = await runCli(['run', 'd.yaml', '--json', '--jobs', '2', '--cache-dir', 'cw'], { cwd: ws.dir });
    assert.equal(log(r.events), 'worker thread, warmed up');
    r = await runCli(['run', 'd.yaml', '--json', '--jobs', '2', '--cache-dir', 'cw', '--set', 'm=lower'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(statuses(r.events), { src: 'cached', up: 'ran', w: 'cached' });
    assert.equal(log(r.events), undefined);
    assert.equal(ws.read('data/in.txt'), first);
  });

  it('a step sees its value inputs as a cache hit or a worker would: decoded from the stored bytes, and read-only', async () => {
    const yaml = (type: string, mutate: boolean) =>
      `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  rec: { type: record, inputs: { text: src } }\n` +
      `  look: { type: ${type}, inputs: { rec: rec }, options: { mutate: ${mutate} } }\n  out: { type: write, inputs: { text: look }, options: { out: seen-${type}.txt } }\n`;
    const expected = 'keys=text,words frozen=true/true';
    // In this process right after the producer ran (cold cache), in this process from a cache
    // hit of the producer, and in a worker thread: the same input, without the field the
    // kind's encoding drops, frozen.
    ws.write('i.yaml', yaml('inspect', false));
    assert.equal((await runCli(['run', 'i.yaml', '--json', '--jobs', '1', '--cache-dir', 'ci'], { cwd: ws.dir })).code, 0);
    assert.equal(ws.read('seen-inspect.txt'), expected);
    ws.write('k.yaml', yaml('inspect-heavy', false));
    const inWorker = await runCli(['run', 'k.yaml', '--json', '--jobs', '2', '--cache-dir', 'ck'], { cwd: ws.dir });
    assert.equal(inWorker.code, 0);
    assert.equal(ws.read('seen-inspect-heavy.txt'), expected);
    rmSync(ws.path('seen-inspect.txt'));
    const warm = await runCli(['run', 'i.yaml', '--json', '--jobs', '1', '--cache-dir', 'ci', '--force', 'look'], { cwd: ws.dir });
    assert.equal(statuses(warm.events).rec, 'cached');
    assert.equal(ws.read('seen-inspect.txt'), expected);
    // A step that changes its input fails, the same way on the main thread and in a worker.
    for (const [type, jobs] of [['inspect', '1'], ['inspect-heavy', '2']] as const) {
      ws.write('m.yaml', yaml(type, true));
      const r = await runCli(['run', 'm.yaml', '--json', '--jobs', jobs, '--cache-dir', `cm-${type}`], { cwd: ws.dir });
      assert.equal(r.code, 1, type);
      assert.equal(statuses(r.events).look, 'failed', type);
      const failed = r.events.find((e) => e.type === 'step-failed' && e.stepId === 'look');
      assert.match(JSON.stringify(failed), /Cannot add property|object is not extensible/, type);
    }
  });

  it('a step that does not write its output file, or asks for a wrong one, fails with the same message on the main thread and in a worker', async () => {
    for (const [type, jobs] of [['lazy', '1'], ['lazy-heavy', '2']] as const) {
      for (const [mode, message] of [
        ['skip', `step type ${type} did not write its output file \`file\` (ctx.outputFile('file'))`],
        ['wrong-name', `step type ${type}: outputFile("nope") is not a file output of this step`],
      ] as const) {
        ws.write('l.yaml', `steps:\n  l: { type: ${type}, options: { mode: ${mode} } }\n`);
        const r = await runCli(['run', 'l.yaml', '--json', '--jobs', jobs, '--cache-dir', `cl-${type}-${mode}`], { cwd: ws.dir });
        assert.equal(r.code, 1, `${type} ${mode}`);
        const failed = r.events.find((e) => e.type === 'step-failed');
        assert.ok(failed && failed.type === 'step-failed');
        assert.equal(failed.error?.message, message, `${type} ${mode}`);
        assert.equal(ws.records(ws.path(`cl-${type}-${mode}`)).length, 0, 'no run record');
      }
    }
  });

  it('an output path that cannot be written is a located user error, not a crash, on a run and on a cache hit', async () => {
    ws.write('blocker', 'a file, not a folder');
    ws.write('o.yaml', `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  out: { type: write, inputs: { text: src }, options: { out: blocker/result.txt } }\n`);
    for (const attempt of ['run', 'cache hit']) {
      const r = await runCli(['run', 'o.yaml', '--cache-dir', 'co'], { cwd: ws.dir });
      assert.equal(r.code, 1, attempt);
      assert.match(r.stderr, /o\.yaml:3:\d+: step `out`: cannot write output `file` to blocker\/result\.txt: a file stands where a folder of the path should be \((EEXIST|ENOTDIR)\); choose another path for `out`/, attempt);
      assert.doesNotMatch(r.stderr, /crashed|this is a bug|\n\s+at /, attempt);
    }
    // The step's result was stored: with a good path it is a cache hit.
    ws.write('o.yaml', ws.read('o.yaml').replace('blocker/result.txt', 'ok/result.txt'));
    const fixed = await runCli(['run', 'o.yaml', '--json', '--cache-dir', 'co'], { cwd: ws.dir });
    assert.equal(fixed.code, 0);
    assert.equal(statuses(fixed.events).out, 'cached');
    assert.equal(ws.read('ok/result.txt'), readFileSync(ws.path('data/in.txt'), 'utf8'));
  });

  it('early cutoff: when an upstream step reruns and writes the same bytes, the steps below it are cache hits', async () => {
    ws.write('ec/in.txt', 'no whitespace around this');
    const yaml = (trim: boolean, suffix = '!') =>
      `steps:\n  src: { type: source, options: { path: ec/in.txt, trim: ${trim} } }\n  up: { type: upper, inputs: { text: src }, options: { suffix: "${suffix}" } }\n` +
      `  out: { type: write, inputs: { text: up }, options: { out: ec/out.txt } }\n`;
    ws.write('ec.yaml', yaml(false));
    const first = await runCli(['run', 'ec.yaml', '--json', '--cache-dir', 'cec'], { cwd: ws.dir });
    assert.deepEqual(statuses(first.events), { src: 'ran', up: 'ran', out: 'ran' });
    // `trim` changes src's key but not its output (nothing to trim).
    ws.write('ec.yaml', yaml(true));
    const second = await runCli(['run', 'ec.yaml', '--json', '--cache-dir', 'cec'], { cwd: ws.dir });
    assert.equal(second.code, 0);
    assert.deepEqual(statuses(second.events), { src: 'ran', up: 'cached', out: 'cached' });
    const cut = second.events.find((e) => e.type === 'step-cached' && e.stepId === 'up');
    assert.ok(cut && cut.type === 'step-cached');
    assert.deepEqual(cut.reasons, ['input `text` changed', 'but its inputs are byte-identical to an earlier run’s: that result is reused']);
    assert.equal(ws.read('ec/out.txt'), 'NO WHITESPACE AROUND THIS!');
    // Now found by its own key: a plain hit, no reasons.
    const third = await runCli(['run', 'ec.yaml', '--json', '--cache-dir', 'cec'], { cwd: ws.dir });
    assert.deepEqual(statuses(third.events), { src: 'cached', up: 'cached', out: 'cached' });
    assert.ok(third.events.every((e) => e.type !== 'step-cached' || e.reasons === undefined));
    // Different bytes upstream: no cutoff.
    ws.write('ec/in.txt', 'other text');
    const fourth = await runCli(['run', 'ec.yaml', '--json', '--cache-dir', 'cec'], { cwd: ws.dir });
    assert.deepEqual(statuses(fourth.events), { src: 'ran', up: 'ran', out: 'ran' });
    assert.equal(ws.read('ec/out.txt'), 'OTHER TEXT!');
    // Same inputs but another option of the step itself: it runs.
    ws.write('ec.yaml', yaml(true, '?'));
    const fifth = await runCli(['run', 'ec.yaml', '--json', '--cache-dir', 'cec'], { cwd: ws.dir });
    assert.deepEqual(statuses(fifth.events), { src: 'cached', up: 'ran', out: 'ran' });
    // --force on a step skips the cutoff too.
    ws.write('ec.yaml', yaml(false, '?'));
    const forced = await runCli(['run', 'ec.yaml', '--json', '--cache-dir', 'cec', '--force', 'up'], { cwd: ws.dir });
    assert.equal(statuses(forced.events).up, 'ran');
    // gc drops the cutoff notes of the executions it removes, and keeps the others.
    const notes = () => readdirSync(ws.path('cec/cutoff')).map((n) => (JSON.parse(readFileSync(ws.path('cec/cutoff', n), 'utf8')) as { key: string }).key);
    assert.ok(notes().length >= 4);
    assert.equal((await runCli(['cache', 'gc', 'ec.yaml', '--keep=0', '--cache-dir', 'cec'], { cwd: ws.dir })).code, 0);
    const kept = new Set(readdirSync(ws.path('cec/runs')));
    assert.ok(notes().length >= 1 && notes().every((k) => kept.has(k)), 'every remaining note names a kept execution');
    assert.ok(notes().length < 4);
  });

  it('a hit or a cutoff is always a result made from the same input bytes, even after a forced, non-deterministic upstream', async () => {
    const yaml = (tag: number) =>
      `steps:\n  src: { type: env-source, options: { name: LVIS_PIPE_TEST_VAL, tag: ${tag} } }\n  up: { type: upper, inputs: { text: src } }\n` +
      `  out: { type: write, inputs: { text: up }, options: { out: nd/out.txt } }\n`;
    const run = async (val: string, ...args: string[]) => {
      process.env.LVIS_PIPE_TEST_VAL = val;
      try {
        const r = await runCli(['run', 'nd.yaml', '--json', '--jobs', '1', '--cache-dir', 'cnd', ...args], { cwd: ws.dir });
        assert.equal(r.code, 0, r.stderr);
        return r;
      } finally {
        delete process.env.LVIS_PIPE_TEST_VAL;
      }
    };
    ws.write('nd.yaml', yaml(1));
    await run('a');
    assert.equal(ws.read('nd/out.txt'), 'A');
    // src forced, and now gives other bytes under the same key: up and out must not serve
    // their results made from 'a'.
    const forced = await run('b', '--force', 'src');
    assert.deepEqual(statuses(forced.events), { src: 'ran', up: 'ran', out: 'ran' });
    const upStart = forced.events.find((e) => e.type === 'step-start' && e.stepId === 'up');
    assert.ok(upStart && upStart.type === 'step-start');
    assert.deepEqual(upStart.reasons, ['its cached result was made from other input bytes (an upstream step was forced, or is not deterministic)']);
    assert.equal(ws.read('nd/out.txt'), 'B');
    // A new key for src that gives 'a' again: up's key changed, and early cutoff finds the
    // result made from 'a' (not the newer one of the same key, made from 'b').
    ws.write('nd.yaml', yaml(2));
    const back = await run('a');
    assert.deepEqual(statuses(back.events), { src: 'ran', up: 'cached', out: 'cached' });
    assert.equal(ws.read('nd/out.txt'), 'A');
  });

  it('--jobs 1 and --jobs 4 give identical outputs and keys', async () => {
    const wide = `steps:\n` + Array.from({ length: 6 }, (_, i) => `  s${i}: { type: source, options: { path: data/in.txt } }\n  u${i}: { type: upper, inputs: { text: s${i} }, options: { suffix: "${i}", repeat: ${i + 1} } }\n  h${i}: { type: heavy, inputs: { text: u${i} }, options: { rounds: 50 } }\n`).join('') + `  all: { type: concat, inputs: { a: h0, b: h5 } }\n`;
    ws.write('w.yaml', wide);
    const a = await runCli(['run', 'w.yaml', '--json', '--jobs', '1', '--cache-dir', 'j1'], { cwd: ws.dir });
    const b = await runCli(['run', 'w.yaml', '--json', '--jobs', '4', '--cache-dir', 'j4'], { cwd: ws.dir });
    assert.equal(a.code, 0);
    assert.equal(b.code, 0);
    // By key, not by step id: the 6 identical sources share one key and one execution, and
    // which of them records it depends on scheduling.
    const summary = (dir: string) =>
      Object.fromEntries(
        ws
          .records(ws.path(dir))
          .map((x) => [x.key, x.outputs])
          .sort(([x], [y]) => String(x).localeCompare(String(y))),
      );
    assert.deepEqual(summary('j1'), summary('j4'));
    // 1 shared source execution, then 6 upper + 6 heavy + 1 concat.
    assert.equal(Object.keys(summary('j1')).length, 14);
  });
});

describe('executor: variants share executions by key', () => {
  it('two pipelines run concurrently through one executor execute a shared key once', async () => {
    const ws = setup();
    try {
      ws.write('a.yaml', PIPELINE);
      ws.write('b.yaml', PIPELINE.replace('suffix: "!"', 'suffix: "?"'));
      const registry = testRegistry();
      const store = new CacheStore(ws.cacheDir);
      await store.init();
      const events: RunEvent[] = [];
      const ex = new Executor({ store, statCache: store.statCache, registry, jobs: 2, signal: new AbortController().signal, emit: (e) => events.push(e), workers: false });
      const [ra, rb] = await Promise.all([
        ex.runPipeline(loadPipeline(ws.path('a.yaml'), registry), { label: 'a' }),
        ex.runPipeline(loadPipeline(ws.path('b.yaml'), registry), { label: 'b' }),
      ]);
      assert.equal(ra.status, 'ok');
      assert.equal(rb.status, 'ok');
      // src and other have the same keys in both variants: one execution (one record) each.
      const recs = ws.records();
      assert.equal(recs.filter((x) => x.stepId === 'src').length, 1);
      assert.equal(recs.filter((x) => x.stepId === 'other').length, 1);
      assert.equal(recs.filter((x) => x.stepId === 'up').length, 2);
      const shared = events.filter((e) => e.type === 'step-start' && e.shared);
      assert.deepEqual(shared.map((e) => (e as { stepId: string }).stepId).sort(), ['other', 'src']);
      assert.equal(ra.steps.find((s) => s.id === 'src')!.outputs[0]!.digest, rb.steps.find((s) => s.id === 'src')!.outputs[0]!.digest);
    } finally {
      ws.remove();
    }
  });
});
