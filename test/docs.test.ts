/**
 * Docs that cannot rot: every `lvis-pipe …` command line in README.md and docs/ parses with
 * the CLI's own argument parser (the command exists, and so does every flag), every `out/…`
 * file the docs name is one the shipped pipeline writes, the README stays short, and the two
 * copies of the original tool's function map agree. (test/docs-reference.test.ts checks that
 * the generated reference is current.)
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/commands/index.js';
import { parseCommandArgs } from '../src/commands/args.js';
import { loadPipeline } from '../src/runner/pipeline/pipeline.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { parse as parseYaml } from 'yaml';

const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : [],
  );
}

const DOCS = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs'))];

/** Shell words of a command line: quotes and backslash-newline continuations as sh reads them. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === ' ' || c === '\t') {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else if (c === '#' && !cur && !has) break; // a comment
    else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) words.push(cur);
  return words;
}

/** Every `lvis-pipe` command line in a document: in code blocks, and in inline code. */
function commandLines(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!.trim();
      for (const part of line.replace(/^\s*\$\s*/, '').split(/&&|;|\|/)) {
        const m = /^\s*(?:npx\s+)?lvis-pipe\s+(.*)$/.exec(part);
        if (m) out.push(m[1]!.trim());
      }
    } else {
      for (const m of line.matchAll(/`(?:npx )?lvis-pipe ([^`]+)`/g)) out.push(m[1]!.trim());
    }
  }
  return out;
}

/** The ```yaml blocks of a document. */
function yamlBlocks(text: string): string[] {
  return [...text.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

interface SnippetStep {
  type: string;
  options?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
}

/** Every step a snippet declares: an entry of `steps:`, or a top-level entry with a `type` (a fragment of `steps:`). */
function stepEntries(doc: unknown): [string, SnippetStep][] {
  if (doc === null || typeof doc !== 'object') return [];
  const obj = doc as Record<string, unknown>;
  const holder = obj.steps !== null && typeof obj.steps === 'object' ? (obj.steps as Record<string, unknown>) : obj;
  return Object.entries(holder).filter((e): e is [string, SnippetStep] => e[1] !== null && typeof e[1] === 'object' && typeof (e[1] as { type?: unknown }).type === 'string');
}

describe('the docs', () => {
  it('name every command line with a command and flags the CLI accepts', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of DOCS) {
      for (const line of commandLines(readFileSync(file, 'utf8'))) {
        const [name, ...argv] = shellWords(line);
        // Usage lines (`lvis-pipe COMMAND [options]`) and help requests are not runs.
        if (!name || name === 'COMMAND' || name === '--help' || name === '--version' || name === 'help') continue;
        const entry = COMMANDS.find((c) => c.name === name);
        if (!entry) {
          problems.push(`${path.relative(ROOT, file)}: \`lvis-pipe ${line}\`: no command \`${name}\``);
          continue;
        }
        if (argv.some((a) => /^[A-Z]+$|^\[|…|\.\.\./.test(a))) continue; // a usage pattern, not a command line
        const { command } = await entry.load();
        try {
          const { positionals, values } = parseCommandArgs(argv, command.options, command.usage);
          checked++;
          // From the repository root, a cache command without FILE looks for ./.lvis-pipe/,
          // which is not where the shipped pipelines' cache is (pipelines/.lvis-pipe/).
          if (name === 'cache' && positionals.length < 2 && (values as Record<string, unknown>)['cache-dir'] === undefined) {
            problems.push(`${path.relative(ROOT, file)}: \`lvis-pipe ${line}\`: names no pipeline FILE nor --cache-dir: from the repository root it finds no cache`);
          }
        } catch (err) {
          problems.push(`${path.relative(ROOT, file)}: \`lvis-pipe ${line}\`: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 20, `${checked} command lines checked`);
  });

  it('the checker itself finds a wrong flag and an unknown command', async () => {
    const { command } = await COMMANDS.find((c) => c.name === 'run')!.load();
    assert.throws(() => parseCommandArgs(shellWords('pipelines/mini-lvis.yaml --sett x=1'), command.options, command.usage));
    assert.deepEqual(commandLines('```sh\nnpx lvis-pipe run p.yaml \\\n  --set a=1 && lvis-pipe plan p.yaml\n```\nand `lvis-pipe runs p.yaml`'), [
      'run p.yaml  --set a=1',
      'plan p.yaml',
      'runs p.yaml',
    ]);
  });

  it('name only output files the shipped pipeline writes', () => {
    const registry = new StepRegistry(STEP_MODULES);
    const written = new Set<string>();
    const folders: string[] = [];
    const shipped = readdirSync(path.join(ROOT, 'pipelines')).filter((n) => n.endsWith('.yaml'));
    const steps = shipped.flatMap((n) => {
      const p = loadPipeline(path.join(ROOT, 'pipelines', n), registry, { checkFiles: false });
      const out = (p.sweep as { out?: string } | undefined)?.out;
      if (out) written.add(`${path.relative(ROOT, path.resolve(p.dir, out)).split(path.sep).join('/')}/`);
      return [...p.steps.values()];
    });
    for (const step of steps) {
      // A sync folder's contents are the step's (out/images/<split>/…): anything below it counts as written.
      for (const dir of Object.values(step.syncPaths)) folders.push(`${path.relative(ROOT, dir).split(path.sep).join('/')}/`);
      for (const file of [...Object.values(step.outputPaths), ...Object.values(step.afterRunPaths)]) {
        const rel = path.relative(ROOT, file).split(path.sep).join('/');
        written.add(rel);
        for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) written.add(`${d}/`);
      }
    }
    assert.ok(written.has('out/mini_lvis_train.json') && written.has('out/plots/'));
    const names = new Set([...written].map((f) => path.posix.basename(f)));
    const problems: string[] = [];
    for (const file of DOCS) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<![\w/.-])out\/[\w./=,%-]*[\w/]/g)) {
        const ref = m[0];
        // A sweep variant's folder holds the same files; the comparison files are the sweep's own.
        const sweep = /^out\/sweep[\w-]*\/(?:[^/]+\/)?(.*)$/.exec(ref);
        if (sweep) {
          const tail = sweep[1]!;
          if (tail === '' || names.has(path.posix.basename(tail)) || /^sweep\.(csv|json)$|\.(png|svg)$/.test(tail) || written.has(tail.endsWith('/') ? `out/${tail}` : `out/${tail}/`)) continue;
        } else if (written.has(ref) || written.has(`${ref}/`) || folders.some((f) => `${ref}/`.startsWith(f))) continue;
        problems.push(`${path.relative(ROOT, file)}: ${ref}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('link only to files that exist', () => {
    const broken: string[] = [];
    for (const file of [...DOCS, path.join(ROOT, 'CONTRIBUTING.md'), path.join(ROOT, 'BENCHMARKS.md')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue; // a URL
        if (!existsSync(path.resolve(path.dirname(file), target))) broken.push(`${path.relative(ROOT, file)}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('keep the README short: what it is, install, the two commands, real LVIS, outputs, where to read next', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.split('\n').length <= 250, `${readme.split('\n').length} lines`);
    assert.match(readme, /npm ci && npx lvis-pipe run pipelines\/mini-lvis\.yaml/);
    assert.match(readme, /^npm test/m);
    assert.match(readme, /--set out_dir=/);
  });

  it('name only step types, options and inputs that exist, in every YAML snippet', () => {
    const registry = new StepRegistry(STEP_MODULES);
    const problems: string[] = [];
    let steps = 0;
    for (const file of DOCS) {
      for (const block of yamlBlocks(readFileSync(file, 'utf8'))) {
        let doc: unknown;
        try {
          doc = parseYaml(block.replace(/\{ \.\.\. \}/g, '{}'));
        } catch (err) {
          problems.push(`${path.relative(ROOT, file)}: a YAML snippet does not parse: ${(err as Error).message.split('\n')[0]}`);
          continue;
        }
        for (const [id, step] of stepEntries(doc)) {
          steps++;
          const mod = registry.get(step.type);
          const where = `${path.relative(ROOT, file)}: step \`${id}\``;
          if (!mod) {
            problems.push(`${where}: no step type \`${step.type}\``);
            continue;
          }
          const declared = Object.keys((mod.optionsSchema as { properties?: Record<string, unknown> }).properties ?? {});
          for (const o of Object.keys(step.options ?? {})) if (!declared.includes(o)) problems.push(`${where}: ${step.type} has no option \`${o}\``);
          for (const i of Object.keys(step.inputs ?? {})) if (!(i in mod.inputs)) problems.push(`${where}: ${step.type} has no input \`${i}\``);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(steps >= 20, `${steps} steps checked`);
  });

  it('keep the shipped pipelines’ comments true: their command lines parse, the files and docs they name exist', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const name of readdirSync(path.join(ROOT, 'pipelines')).filter((n) => n.endsWith('.yaml'))) {
      const file = path.join(ROOT, 'pipelines', name);
      const comments = readFileSync(file, 'utf8').split('\n').flatMap((l) => { const m = /(?:^|\s)#\s?(.*)$/.exec(l); return m ? [m[1]!] : []; });
      for (const line of commandLines('```\n' + comments.join('\n') + '\n```')) {
        const [cmd, ...argv] = shellWords(line);
        const entry = COMMANDS.find((c) => c.name === cmd);
        if (!entry) {
          problems.push(`${name}: \`lvis-pipe ${line}\`: no command \`${cmd}\``);
          continue;
        }
        const { command } = await entry.load();
        try {
          parseCommandArgs(argv, command.options, command.usage);
          checked++;
        } catch (err) {
          problems.push(`${name}: \`lvis-pipe ${line}\`: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      for (const m of comments.join('\n').matchAll(/(?<![\w/.-])((?:\.\.\/)?(?:docs|pipelines|data|src)\/[\w./-]*\w)/g)) {
        const ref = m[1]!;
        if (!existsSync(path.resolve(ROOT, ref.replace(/^\.\.\//, '')))) problems.push(`${name}: names ${ref}, which does not exist`);
      }
      if (/README, "/.test(comments.join('\n'))) problems.push(`${name}: points at a README section by name`);
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 3, `${checked} command lines checked`);
  });

  it('keep the two copies of the original tool’s function map the same', () => {
    const table = (file: string) => {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const start = text.indexOf('| original tool (');
      return text.slice(start, text.indexOf('\n\n', start));
    };
    assert.ok(table('CONTRIBUTING.md').length > 500);
    assert.equal(table('CONTRIBUTING.md'), table('docs/explanation/original-tool.md'));
  });
});
