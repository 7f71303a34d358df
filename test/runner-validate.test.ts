/**
 * Validation: every kind of error is reported with its file:line:col and source line, all
 * at once, with exit status 2, and nothing runs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli, Workspace } from './helpers/runner-fixture.js';

const BAD = `params:
  alpha: 0.6
  name: x
steps:
  src:
    type: source
    options:
      path: in.txt
      trimm: true
  up:
    type: upper
    inputs: { text: src }
    options: { repeat: "\${params.name}", mode: sideways }
  typo:
    type: uper
  missing:
    type: count
    inputs: { text: nowhere }
  badout:
    type: count
    inputs: { text: src.txt }
  kind:
    type: upper
    inputs: { text: sp.lengths }
  sp:
    type: split
    inputs: { text: src }
  amb:
    type: count
    inputs: { text: sp }
  c1:
    type: concat
    inputs: { a: c3 }
  c2:
    type: concat
    inputs: { a: c1 }
  c3:
    type: concat
    inputs: { a: c2 }
  req:
    type: sleep
  nofile:
    type: source
    options: { path: "data/\${params.name}.txt" }
  interp:
    type: upper
    inputs: { text: src }
    options: { suffix: "\${params.alhpa}" }
  noin:
    type: upper
  wrongtype:
    type: upper
    inputs: { text: src }
    options: { repeat: 0 }
extra: 1
`;

/** Parses `file:line:col: message` lines of the output. */
function located(stderr: string): { where: string; message: string }[] {
  return stderr
    .split('\n')
    .map((l) => /^([^\s:]+:\d+:\d+): (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ where: m[1]!, message: m[2]! }));
}

describe('validation', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('in.txt', 'hi');
    ws.write('bad.yaml', BAD);
  });
  after(() => ws.remove());

  it('reports every error at once, each at its line:col, exit status 2, and runs nothing', async () => {
    const r = await runCli(['run', 'bad.yaml', '--set', 'name=y'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.equal(existsSync(ws.path('.lvis-pipe', 'runs')), false, 'nothing ran');
    assert.equal(existsSync(ws.path('.lvis-pipe', 'lock')), false);
    const got = located(r.stderr);
    const expected: [string, RegExp][] = [
      ['bad.yaml:9:7', /^step `src` \(type `source`\): unknown option `trimm` \(did you mean `trim`\?\); its options: `path`, `trim`$/],
      ['bad.yaml:13:24', /^step `up` \(type `upper`\): option `repeat` must be integer, got "y" \(from \$\{params\.name\}, set by --set name=y\)$/],
      ['bad.yaml:13:48', /^step `up` \(type `upper`\): option `mode` must be one of "upper", "lower", got "sideways"$/],
      ['bad.yaml:15:11', /^step `typo`: unknown step type `uper` \(did you mean `upper`\?\); known types: .*`upper`/],
      ['bad.yaml:18:21', /^input `text` of step `missing`: no step `nowhere`; steps: /],
      ['bad.yaml:21:21', /^input `text` of step `badout`: step `src` \(type `source`\) has no output `txt` \(did you mean `text`\?\); its outputs: `text` \(text\)$/],
      ['bad.yaml:24:21', /^input `text` of step `kind` expects a `text`, but `sp.lengths` is a `numbers`$/],
      ['bad.yaml:30:21', /^input `text` of step `amb`: step `sp` has 2 outputs of kind `text` \(`sp.head`, `sp.tail`\); name one$/],
      ['bad.yaml:36:18', /^cycle: `c1` → `c2` → `c3` → `c1` /],
      ['bad.yaml:40:3', /^step `req` \(type `sleep`\): missing required option `ms`$/],
      ['bad.yaml:44:22', /^step `nofile`: option `path`: file not found: .*data\/y\.txt \(from --set name=y\)$/],
      ['bad.yaml:48:24', /^unknown param `alhpa` in \$\{params\.alhpa\} \(did you mean `alpha`\?\); declared params: `alpha`, `name`$/],
      ['bad.yaml:49:3', /^step `noin` \(type `upper`\): missing required input `text` \(a `text`\)$/],
      ['bad.yaml:54:24', /^step `wrongtype` \(type `upper`\): option `repeat` must be >= 1, got 0$/],
      ['bad.yaml:55:1', /^unknown top-level key `extra`; expected `params`, `steps` and `sweep`$/],
    ];
    assert.deepEqual(
      got.map((g) => g.where),
      expected.map(([w]) => w),
    );
    expected.forEach(([, re], i) => assert.match(got[i]!.message, re));
    assert.match(r.stderr, /^15 errors$/m);
    // The offending line is shown under each message, with a caret at the column.
    assert.match(r.stderr, /bad\.yaml:15:11: [^\n]*\n {4} {4}type: uper\n {4} {10}\^/);
  });

  it('more mistakes: param types, two steps writing one file, kinds, non-path files, interpolation', async () => {
    ws.write(
      'bad2.yaml',
      [
        'params:',
        '  n: { type: nonsense, default: 1 }',
        '  list: [1, 2]',
        'steps:',
        '  src: { type: source, options: { path: in.txt } }',
        '  w1: { type: write, inputs: { text: src }, options: { out: o.txt } }',
        '  w2: { type: write, inputs: { text: src }, options: { out: o.txt } }',
        '  cnt: { type: count, inputs: { text: src } }',
        '  k: { type: upper, inputs: { text: cnt } }',
        '  files: { type: cat, options: { paths: [in.txt, 5] } }',
        '  lit: { type: upper, inputs: { text: src }, options: { suffix: "${env.HOME}" } }',
        '  obj: { type: upper, inputs: { text: src }, options: { suffix: "x${params.list}" } }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', 'bad2.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    const got = located(r.stderr);
    const expected: [string, RegExp][] = [
      ['bad2.yaml:2:14', /^param `n`: unknown type "nonsense"; expected one of string, number, integer, boolean, array, object, path, any$/],
      ['bad2.yaml:7:61', /^step `w2`: output `file` would be written to o\.txt, which step `w1` output `file` already writes$/],
      ['bad2.yaml:9:37', /^input `text` of step `k` expects a `text`, but step `cnt` \(type `count`\) has no output of that kind; its outputs: `stats` \(counts\)$/],
      // The schema's item type, and the runner's own check of file options (for steps whose schema is looser).
      ['bad2.yaml:10:41', /^step `files` \(type `cat`\): option `paths\.1` must be string, got 5$/],
      ['bad2.yaml:10:50', /^step `files`: option `paths` must be a path \(or a list of paths\), got number 5$/],
      ['bad2.yaml:11:65', /^cannot interpolate `\$\{env\.HOME\}`: only \$\{params\.NAME\} references are supported \(write \$\$\{ for a literal \$\{\)$/],
      ['bad2.yaml:12:65', /^param `list` is a list \[1,2\] and cannot be interpolated into text; use it as the whole value$/],
    ];
    assert.deepEqual(got.map((g) => g.where), expected.map(([w]) => w), r.stderr);
    expected.forEach(([, re], i) => assert.match(got[i]!.message, re));
  });

  it('a misspelt key or type in a param declaration is reported there, without knock-on errors where the param is used', async () => {
    ws.write(
      'decl.yaml',
      'params:\n  train: { type: path, default: in.txt, descripton: the file }\n  t2: { type: pth, default: in.txt }\n  t3: { type: path, defualt: in.txt }\n' +
        'steps:\n  a: { type: source, options: { path: "${params.train}" } }\n  b: { type: source, options: { path: "${params.t2}" } }\n',
    );
    const r = await runCli(['validate', 'decl.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    const got = located(r.stderr);
    const expected: [string, RegExp][] = [
      ['decl.yaml:2:41', /^param `train`: unknown key `descripton` in its declaration \(did you mean `description`\?\); a declaration has `type`, `default` and `description` \(a mapping-valued param that looks like one is declared `\{type: object, default: \{\.\.\.\}\}`\)$/],
      ['decl.yaml:3:15', /^param `t2`: unknown type "pth" \(did you mean `path`\?\); expected one of /],
      ['decl.yaml:4:7', /^param `t3`: its declaration has no `default` \(a mapping-valued param that looks like a declaration is declared `\{type: object, default: \{\.\.\.\}\}`\)$/],
      ['decl.yaml:4:21', /^param `t3`: unknown key `defualt` in its declaration \(did you mean `default`\?\)/],
    ];
    assert.deepEqual(got.map((g) => g.where), expected.map(([w]) => w), r.stderr);
    expected.forEach(([, re], i) => assert.match(got[i]!.message, re));
    // A mapping with other keys is still a mapping-valued param, even with a `default` or `type` key.
    ws.write('objparam.yaml', 'params:\n  opts: { depth: 3, mode: fast }\n  th: { default: 0.5, rare: 0.3 }\n  shape: { type: circle, radius: 2 }\nsteps:\n  src: { type: source, options: { path: in.txt } }\n');
    const obj = await runCli(['validate', 'objparam.yaml', '--json'], { cwd: ws.dir });
    assert.equal(obj.code, 0, obj.stderr);
    assert.deepEqual(JSON.parse(obj.stdout).params, { opts: { depth: 3, mode: 'fast' }, th: { default: 0.5, rare: 0.3 }, shape: { type: 'circle', radius: 2 } });
  });

  it('a --set value that is not YAML, a params file that is not a mapping, an unreadable config file', async () => {
    ws.write('ok2.yaml', 'params:\n  alpha: 0.6\nsteps:\n  src: { type: source, options: { path: in.txt } }\n');
    const set = await runCli(['validate', 'ok2.yaml', '--set', 'alpha=[1,'], { cwd: ws.dir });
    assert.equal(set.code, 2);
    assert.match(set.stderr, /^error: --set alpha=\[1,: the value is not valid YAML: /m);
    ws.write('list-params.yaml', '- 1\n- 2\n');
    const pf = await runCli(['validate', 'ok2.yaml', '--params', 'list-params.yaml'], { cwd: ws.dir });
    assert.equal(pf.code, 2);
    assert.match(pf.stderr, /^list-params\.yaml:1:1: a params file must be a mapping of param names to values$/m);
    const sub = ws.path('cfg');
    ws.write('cfg/ok2.yaml', 'steps:\n  src: { type: source, options: { path: ../in.txt } }\n');
    ws.write('cfg/.lvis-piperc.json', '{ "jobs": 2,');
    const cfg = await runCli(['validate', 'ok2.yaml'], { cwd: sub });
    assert.equal(cfg.code, 2);
    assert.match(cfg.stderr, /cannot read the lvis-pipe configuration: /);
    assert.doesNotMatch(cfg.stderr, /\n\s+at /, 'no stack trace');
  });

  it('validate does only this', async () => {
    const r = await runCli(['validate', 'bad.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.equal(located(r.stderr).length, 15);
    assert.equal(existsSync(ws.path('.lvis-pipe', 'runs')), false);
  });

  it('an unknown --set name is reported without a file location, listing the params', async () => {
    ws.write('ok.yaml', 'params:\n  alpha: 0.6\n  rare_cap: 2\nsteps:\n  src: { type: source, options: { path: in.txt } }\n');
    const r = await runCli(['validate', 'ok.yaml', '--set', 'alpah=0.7'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'error: unknown param `alpah` in --set alpah=0.7 (did you mean `alpha`?); the pipeline\'s params are `alpha`, `rare_cap`');
  });

  it('a wrongly typed --set value and a malformed --set are errors', async () => {
    const r = await runCli(['validate', 'ok.yaml', '--set', 'alpha=high', '--set', 'rare_cap'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /param `alpha` from --set alpha=high must be a number, got the string "high"/);
    assert.match(r.stderr, /--set rare_cap: expected name=value/);
  });

  it('an unknown name in a --params file points at its line', async () => {
    ws.write('params.yaml', '# overrides\nalpha: 0.7\nrarecap: 3\n');
    const r = await runCli(['validate', 'ok.yaml', '--params', 'params.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^params\.yaml:3:1: unknown param `rarecap` in params file params\.yaml \(did you mean `rare_cap`\?\)/m);
  });

  it('YAML syntax errors and duplicate keys have positions', async () => {
    ws.write('syntax.yaml', 'steps:\n  a: { type: source, options: { path: in.txt }\n');
    const s = await runCli(['validate', 'syntax.yaml'], { cwd: ws.dir });
    assert.equal(s.code, 2);
    assert.match(s.stderr, /^syntax\.yaml:\d+:\d+: YAML syntax error: /m);
    // An unclosed { is said at the brace, not at the next entry where the parser noticed it.
    ws.write('unclosed.yaml', 'steps:\n  a: { type: source, options: { path: in.txt }\n  b: { type: upper, inputs: { text: a } }\n');
    const u = await runCli(['validate', 'unclosed.yaml'], { cwd: ws.dir });
    assert.equal(u.code, 2);
    assert.match(u.stderr, /^unclosed\.yaml:2:6: YAML syntax error: this `\{` is never closed: add `\}` before the next entry \(line 3\)$/m);
    ws.write('unclosed2.yaml', 'params:\n  ids: [1, "]", 2 # ]\nsteps:\n  a: { type: source, options: { path: in.txt } }\n');
    const v = await runCli(['validate', 'unclosed2.yaml'], { cwd: ws.dir });
    assert.match(v.stderr, /^unclosed2\.yaml:2:8: YAML syntax error: this `\[` is never closed/m);
    // Nested unclosed brackets: one error that says every closer to add, not one per bracket.
    ws.write('nested.yaml', 'params:\n  x: [[[1\nsteps:\n  a: { type: source, options: { path: in.txt } }\n');
    const n = await runCli(['validate', 'nested.yaml'], { cwd: ws.dir });
    assert.equal(n.code, 2);
    assert.deepEqual(located(n.stderr).map((g) => `${g.where} ${g.message}`), ['nested.yaml:2:8 YAML syntax error: this `[` is never closed, nor the 2 before it: add `]]]` before the next entry (line 3)']);
    ws.write('mixed.yaml', 'params:\n  x: {a: [1\nsteps:\n  a: { type: source, options: { path: in.txt } }\n');
    const m = await runCli(['validate', 'mixed.yaml'], { cwd: ws.dir });
    assert.deepEqual(located(m.stderr).map((g) => `${g.where} ${g.message}`), ['mixed.yaml:2:10 YAML syntax error: this `[` is never closed, nor the 1 before it: add `]}` before the next entry (line 3)']);
    ws.write('deep-open.yaml', `params:\n  x: ${'['.repeat(300)}1\nsteps:\n  a: { type: source, options: { path: in.txt } }\n`);
    const d3 = await runCli(['validate', 'deep-open.yaml'], { cwd: ws.dir });
    assert.deepEqual(located(d3.stderr).map((g) => `${g.where} ${g.message}`), ['deep-open.yaml:2:305 YAML syntax error: this `[` is never closed, nor the 299 before it: add 300 closing brackets (`]]]]]]]]…`) before the next entry (line 3)']);
    ws.write('dup.yaml', 'steps:\n  a: { type: source, options: { path: in.txt } }\n  a: { type: source, options: { path: in.txt } }\n');
    const d = await runCli(['validate', 'dup.yaml'], { cwd: ws.dir });
    assert.equal(d.code, 2);
    assert.match(d.stderr, /^dup\.yaml:3:3: YAML syntax error: Map keys must be unique/m);
  });

  it('a document nested thousands of levels deep, by indentation or by brackets, is a located error, not a stack', async () => {
    const byIndent = (n: number) => 'params:\n  p:\n' + Array.from({ length: n }, (_, i) => `${'  '.repeat(i + 2)}k${i}:\n`).join('') + `${'  '.repeat(n + 2)}x: 1\nsteps: {}\n`;
    const cases: [string, string][] = [
      ['indent1500.yaml', byIndent(1500)],
      ['indent2000.yaml', byIndent(2000)],
      ['indent5000.yaml', byIndent(5000)],
      ['brackets.yaml', `params:\n  p: ${'['.repeat(5000)}${']'.repeat(5000)}\nsteps: {}\n`],
    ];
    for (const [name, text] of cases) {
      ws.write(name, text);
      const r = await runCli(['validate', name], { cwd: ws.dir });
      assert.equal(r.code, 2, name);
      assert.match(r.stderr, new RegExp(`^${name.replace('.', '\\.')}:\\d+:\\d+: YAML syntax error: the document nests too deeply to read`, 'm'), name);
      assert.doesNotMatch(r.stderr, /RangeError|\n\s+at /, name);
    }
  });

  it('`__proto__` as a param name, a step id or in a --params file is refused where written, not dropped or garbled', async () => {
    ws.write('proto.yaml', 'params:\n  __proto__: 3\n  n: 1\nsteps:\n  __proto__: { type: source, options: { path: in.txt } }\n  b: { type: upper, inputs: { text: __proto__ } }\n');
    const r = await runCli(['validate', 'proto.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^proto\.yaml:2:3: `__proto__` cannot be a name here: JavaScript gives it a meaning of its own; choose another name$/m);
    assert.match(r.stderr, /^proto\.yaml:5:3: `__proto__` cannot be a name here/m);
    assert.doesNotMatch(r.stderr, /`type`|`options`|`inputs`/, 'no knock-on errors about the fields of the step');
    ws.write('pp.yaml', '__proto__: 1\n');
    ws.write('ok.yaml', 'params:\n  n: 1\nsteps:\n  a: { type: source, options: { path: in.txt } }\n');
    const p = await runCli(['validate', 'ok.yaml', '--params', 'pp.yaml'], { cwd: ws.dir });
    assert.equal(p.code, 2);
    assert.match(p.stderr, /^pp\.yaml:1:1: `__proto__` cannot be a name here/m);
  });

  it('a YAML tag lvis-pipe does not know is a warning at its place, not dropped without a word', async () => {
    ws.write('tags.yaml', 'params:\n  n: !!js/function "1"\n  m: !custom 2\nsteps:\n  a: { type: source, options: { path: in.txt } }\n');
    const r = await runCli(['validate', 'tags.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^tags\.yaml:2:6: warning: YAML tag `!!js\/function` is not supported: it is ignored and the value read as plain YAML; remove the tag$/m);
    assert.match(r.stderr, /^tags\.yaml:3:6: warning: YAML tag `!custom` is not supported/m);
  });

  it('YAML values that are not JSON data (bytes, timestamps, sets, .inf) are located errors, and nothing runs or is recorded', async () => {
    ws.write(
      'nonjson.yaml',
      'params:\n  a: !!binary aGVsbG8=\n  b: { type: any, default: !!timestamp 2001-12-14 }\n  c: !!set { x, y }\n  d: !!omap [ { x: 1 } ]\n  e: .inf\n  f: [1, .nan]\n  g: -.inf\n' +
        'steps:\n  a: { type: source, options: { path: in.txt } }\n',
    );
    const r = await runCli(['run', 'nonjson.yaml', '--cache-dir', 'c-nonjson'], { cwd: ws.dir });
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(
      located(r.stderr).map((g) => `${g.where} ${g.message.replace(/ is not JSON data.*/, '')}`),
      [
        'nonjson.yaml:2:6 bytes (`!!binary`)',
        'nonjson.yaml:3:28 a timestamp (`!!timestamp`)',
        'nonjson.yaml:4:6 a set (`!!set`)',
        'nonjson.yaml:5:6 an ordered map (`!!omap`)',
        'nonjson.yaml:6:6 infinity (`.inf`, or a number too large for a double)',
        'nonjson.yaml:7:10 not a number (`.nan`)',
        'nonjson.yaml:8:6 minus infinity (`-.inf`, or a number too large for a double)',
      ],
    );
    assert.match(r.stderr, /^nonjson\.yaml:2:6: bytes \(`!!binary`\) is not JSON data, and a pipeline's values must be \(they are hashed and recorded as JSON\): write it as plain text, a number, true\/false, null, a list or a mapping \(without the tag\)$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
    assert.equal(existsSync(ws.path('c-nonjson', 'history')), false, 'no history record was written');
  });

  it('a value that is not JSON data from --params, --set or the config is refused where it was given', async () => {
    ws.write('anyp.yaml', 'params:\n  a: { type: any, default: 1 }\n  s: x\nsteps:\n  a: { type: source, options: { path: in.txt } }\n');
    ws.write('bin-params.yaml', 'a: !!binary aGVsbG8=\n');
    const p = await runCli(['run', 'anyp.yaml', '--params', 'bin-params.yaml', '--cache-dir', 'c-nonjson2'], { cwd: ws.dir });
    assert.equal(p.code, 2, p.stderr);
    assert.match(p.stderr, /^bin-params\.yaml:1:4: bytes \(`!!binary`\) is not JSON data/m);
    for (const [arg, what] of [['a=!!binary aGVsbG8=', 'bytes'], ['a=!!timestamp 2001-12-14', 'a timestamp'], ['a=[1, .inf]', 'at `a[1]`, infinity'], ['a={ x: !!set { y } }', 'at `a.x`, a set']]) {
      const r = await runCli(['run', 'anyp.yaml', '--set', arg!, '--cache-dir', 'c-nonjson2'], { cwd: ws.dir });
      assert.equal(r.code, 2, `${arg}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^error: param \`a\` from --set ${arg!.replace(/[[\]{}.!]/g, '\\$&')}: ${what!.replace(/[[\]{}.!]/g, '\\$&')}`, 'm'), arg);
    }
    // A string param takes the text as typed: not an error.
    const text = await runCli(['validate', 'anyp.yaml', '--set', 's=!!binary aGVsbG8='], { cwd: ws.dir });
    assert.equal(text.code, 0, text.stderr);
    const cfg = new Workspace();
    try {
      cfg.write('package.json', '{"name": "project"}');
      cfg.write('.lvis-piperc.yaml', 'params:\n  a: !!timestamp 2001-12-14\n');
      cfg.write('in.txt', 'x');
      cfg.write('p.yaml', 'params:\n  a: { type: any, default: 1 }\nsteps:\n  a: { type: source, options: { path: in.txt } }\n');
      const c = await runCli(['run', 'p.yaml'], { cwd: cfg.dir });
      assert.equal(c.code, 2, c.stderr);
      assert.match(c.stderr, /param `a` from config \S*\.lvis-piperc\.yaml: a timestamp \(`!!timestamp`\) is not JSON data/);
      assert.equal(existsSync(cfg.path('.lvis-pipe', 'history')), false);
    } finally {
      cfg.remove();
    }
    assert.equal(existsSync(ws.path('c-nonjson2', 'history')), false, 'no history record was written');
  });

  it('a missing pipeline file, and a file that is not a mapping', async () => {
    const m = await runCli(['validate', 'nope.yaml'], { cwd: ws.dir });
    assert.equal(m.code, 2);
    assert.match(m.stderr, /cannot read nope\.yaml: no such file/);
    ws.write('list.yaml', '- a\n- b\n');
    const l = await runCli(['validate', 'list.yaml'], { cwd: ws.dir });
    assert.equal(l.code, 2);
    assert.match(l.stderr, /^list\.yaml:1:1: a pipeline file must be a mapping/m);
  });

  it('invalid step ids and reference syntax', async () => {
    ws.write('ids.yaml', 'steps:\n  1st: { type: source, options: { path: in.txt } }\n  b:\n    type: count\n    inputs: { text: "a b" }\n');
    const r = await runCli(['validate', 'ids.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ids\.yaml:2:3: invalid step id `1st`/m);
    assert.match(r.stderr, /^ids\.yaml:5:21: step `b` \(type `count`\): input `text`: "a b" is not a reference/m);
  });

  it('sweep: its shape is validated, unknown params are errors, run ignores it', async () => {
    ws.write(
      'sweep.yaml',
      'params:\n  suffix: "!"\nsteps:\n  src: { type: source, options: { path: in.txt } }\n  up: { type: upper, inputs: { text: src }, options: { suffix: "${params.suffix}" } }\nsweep:\n  grid:\n    suffix: ["a", 3]\n    sufix: [x]\n  sort_by: n.stats.chars\n  colour: red\n',
    );
    const r = await runCli(['validate', 'sweep.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    const got = located(r.stderr).map((g) => `${g.where} ${g.message}`);
    assert.deepEqual(got, [
      'sweep.yaml:8:19 sweep: param `suffix` must be a string, got number 3',
      'sweep.yaml:9:5 sweep: unknown param `sufix` (did you mean `suffix`?); the pipeline\'s params are `suffix`',
      'sweep.yaml:10:12 sweep: metric `n.stats.chars`: `n.stats` is not a metrics output; the pipeline has no metrics output',
      'sweep.yaml:11:3 sweep: unknown key `colour`; expected `grid`, `variants`, `sort_by`, `order`, `metrics`, `out`, `chart`',
    ]);
    ws.write('sweep-ok.yaml', 'params:\n  suffix: "!"\nsteps:\n  src: { type: source, options: { path: in.txt } }\nsweep:\n  grid: { suffix: [a, b] }\n  variants: [{ suffix: c }]\n');
    const ok = await runCli(['run', 'sweep-ok.yaml', '--json'], { cwd: ws.dir });
    assert.equal(ok.code, 0);
  });
});

describe('pipeline features', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hi');
  });
  after(() => ws.remove());

  it('comments, anchors, merge keys, typed and textual interpolation, $${ escapes', async () => {
    const yaml = [
      '# comments are fine',
      'params:',
      '  n: 2                    # a number',
      '  tag: v1',
      '  file: { type: path, default: data/in.txt, description: the input }',
      'steps:',
      '  src:',
      '    type: source',
      '    options: { path: "${params.file}" }',
      '  lower:',
      '    type: upper',
      '    inputs: { text: src }',
      '    options: &shared',
      '      suffix: "-${params.tag}-$${literal}"',
      '      mode: lower',
      '  up:',
      '    type: upper',
      '    inputs: { text: src }',
      '    options:',
      '      <<: *shared',
      '      mode: upper',
      '      repeat: "${params.n}"',
      '  out:',
      '    type: write',
      '    inputs: { text: up }',
      '    options: { out: "out/${params.tag}.txt" }',
      '  out2:',
      '    type: write',
      '    inputs: { text: lower }',
      '    options: { out: "out/lower-${params.tag}.txt" }',
      '',
    ].join('\n');
    ws.write('p.yaml', yaml);
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(ws.read('out/v1.txt'), 'HI-v1-${literal}HI-v1-${literal}');
    assert.equal(ws.read('out/lower-v1.txt'), 'hi-v1-${literal}');
    const r2 = await runCli(['run', 'p.yaml', '--json', '--set', 'tag=v2', '--set', 'n=1'], { cwd: ws.dir });
    assert.equal(r2.code, 0);
    assert.equal(ws.read('out/v2.txt'), 'HI-v2-${literal}');
  });

  it('a path param given with --set is relative to the current directory', async () => {
    ws.write('sub/p.yaml', 'params:\n  input: ../data/in.txt\nsteps:\n  src: { type: source, options: { path: "${params.input}" } }\n  out: { type: write, inputs: { text: src }, options: { out: result.txt } }\n');
    ws.write('other.txt', 'from cwd');
    const a = await runCli(['run', 'sub/p.yaml'], { cwd: ws.dir });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(ws.read('sub/result.txt'), 'hi');
    const b = await runCli(['run', 'sub/p.yaml', '--set', 'input=other.txt'], { cwd: ws.dir });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(ws.read('sub/result.txt'), 'from cwd');
  });
});
