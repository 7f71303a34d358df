/**
 * The source tree's architecture, checked on every `npm test` so that it stays true
 * (CONTRIBUTING.md, "Folder map"):
 *
 *   base/      diagnostics, atomic files, small utilities: imports nothing else of the project
 *   runner/    the generic pipeline runner: only itself and base/ (it knows nothing of LVIS)
 *   render/    headless chart rendering: only itself and base/
 *   lvis/      the domain: only itself, base/ and render/ (nothing of the runner, steps or CLI)
 *   steps/     adapters: the step API (runner/step/), the domain and base/
 *   commands/, cli.ts, config.ts, cli-env.ts: the CLI, on top of everything
 *
 * and no import circle between files, type-only imports included, and no source file over
 * 500 lines.
 *
 * Why a test of our own rather than dependency-cruiser or madge: both parse TypeScript with the
 * `typescript` package's compiler API, which TypeScript 7 (this project's compiler) no longer
 * ships; on the compiled JavaScript, type-only imports (half the circles the structure issue
 * found) are invisible. Import statements are regular enough to read with one expression.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const SRC = path.join(ROOT, 'src');
const MAX_LINES = 500;

/** Every .ts file below `dir`, as a path relative to the repository root (posix). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.relative(ROOT, p).split(path.sep).join('/')] : [];
  });
}

// `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`, relative only.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'(\.[^']+)'|(?:^|\n)\s*import\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

/** file → the project files it imports. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (known.has(target)) deps.add(target);
    }
    graph.set(file, [...deps].sort());
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan): the import circles. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Which folders of src/ a folder may import from (its own always). */
const LAYERS: { from: RegExp; name: string; may: RegExp }[] = [
  { from: /^src\/base\//, name: 'base imports nothing else of the project', may: /^src\/base\// },
  { from: /^src\/runner\//, name: 'the runner imports only itself and base', may: /^src\/(runner|base)\// },
  { from: /^src\/render\//, name: 'render imports only itself and base', may: /^src\/(render|base)\// },
  { from: /^src\/lvis\//, name: 'the domain imports nothing of the runner, the steps or the CLI', may: /^src\/(lvis|base|render)\// },
  { from: /^src\/steps\//, name: 'steps import only the step API, the domain and base', may: /^src\/(steps|lvis|base|runner\/step)\// },
];

function layeringBreaks(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const breaks: string[] = [];
  for (const [file, deps] of graph) {
    const layer = LAYERS.find((l) => l.from.test(file));
    if (!layer) continue;
    for (const dep of deps) if (!layer.may.test(dep)) breaks.push(`${file} → ${dep} (${layer.name})`);
  }
  return breaks;
}

const files = sourceFiles(SRC);
const graph = importGraph(files);

describe('architecture', () => {
  it('reads the real import graph (a sanity check of the parser)', () => {
    assert.ok(files.length > 100, `${files.length} source files`);
    assert.ok(graph.get('src/steps/load.ts')!.includes('src/runner/step/step.ts'));
    assert.ok(graph.get('src/cli.ts')!.length > 3);
    // A type-only import counts: the events name the sweep report's type.
    assert.ok(graph.get('src/runner/exec/events.ts')!.includes('src/runner/sweep/report.ts'));
  });

  it('finds circles and layering breaks when there are some (the checks can fail)', () => {
    const bad = new Map<string, string[]>([
      ['src/lvis/a.ts', ['src/runner/b.ts']],
      ['src/runner/b.ts', ['src/lvis/a.ts']],
      ['src/base/c.ts', []],
    ]);
    assert.deepEqual(circles(bad), [['src/lvis/a.ts', 'src/runner/b.ts']]);
    assert.equal(layeringBreaks(bad).length, 2);
  });

  it('has no import circle between files', () => {
    assert.deepEqual(circles(graph), []);
  });

  it('keeps the layers: base ← runner, render ← domain ← steps ← CLI', () => {
    assert.deepEqual(layeringBreaks(graph), []);
  });

  it('imports at run time only the packages it lists as dependencies (devDependencies are for tests and benchmarks)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const runtime = new Set([...Object.keys(pkg.dependencies)]);
    const bare = /(?:^|\n)\s*import\s(?!type\b)[^'";]*?from\s*'([^.'][^']*)'|import\(\s*'([^.'][^']*)'\s*\)|require\('([^.'][^']*)'\)/g;
    const missing: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(path.join(ROOT, file), 'utf8').matchAll(bare)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!runtime.has(name)) missing.push(`${file}: ${spec}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = [...files, ...sourceFiles(path.join(ROOT, 'test')), ...sourceFiles(path.join(ROOT, 'bench')), ...sourceFiles(path.join(ROOT, 'scripts'))]
      .map((f) => [f, readFileSync(path.join(ROOT, f), 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > MAX_LINES)
      .map(([f, n]) => `${f}: ${n} lines`);
    assert.deepEqual(long, []);
  });
});
