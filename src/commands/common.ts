/**
 * What the pipeline commands (run, plan, validate, dag) share: their common flags, and
 * loading config + pipeline + cache folder from them.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { CliEnv } from '../cli-env.js';
import { loadConfig, resolveCacheDir, type LoadedConfig } from '../config.js';
import { DiagnosticError, escapeControls } from '../base/diagnostic.js';
import { printDiagnostics, UsageError, USAGE_EXIT } from './args.js';
import { loadPipeline } from '../runner/pipeline/pipeline.js';
import { CacheStore } from '../runner/cache/store.js';
import { describeProblem } from '../runner/cache/integrity.js';
import { overwriteMessage, runFileAt, type NamedFile } from '../runner/pipeline/file-clashes.js';
import { checkCacheFolderShape } from '../runner/cache/cache-problems.js';
import { displayPath } from '../base/display-path.js';
import { type Pipeline, type ResolveOptions } from '../runner/pipeline/types.js';

export const PIPELINE_FLAGS = {
  set: { type: 'string', multiple: true, short: 's' },
  params: { type: 'string' },
  'cache-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const PIPELINE_FLAGS_HELP = `  -s, --set NAME=VALUE   override a param (repeatable); VALUE is parsed as YAML
                         (--set alpha=0.7, --set pool=all, --set 'ids=[1,2]')
      --params FILE      read param values from a YAML/JSON file (name: value)
      --cache-dir DIR    the cache folder (default: config cacheDir, else .lvis-pipe/
                         beside the pipeline file)
      --json             machine-readable output
  -h, --help             this help

Paths: relative paths in the pipeline file are relative to the pipeline file's folder.
A path given with --set is relative to the current directory; one in a --params file,
to that file's folder.`;

export interface PipelineContext {
  pipeline: Pipeline;
  config: LoadedConfig;
  cacheDir: string;
  /** How the pipeline was resolved (a sweep resolves it again per variant, the same way). */
  resolveOptions: ResolveOptions;
}

/**
 * The config and the cache folder that every command works with: those of the pipeline FILE's
 * folder (or the working directory when there is no FILE), `--cache-dir` first.
 */
export async function locateCache(env: CliEnv, file: string | undefined, cacheDirFlag: string | undefined): Promise<{ config: LoadedConfig; cacheDir: string }> {
  const base = file !== undefined ? path.dirname(path.resolve(env.cwd, file)) : env.cwd;
  const config = await loadConfig(base);
  const cacheDir = resolveCacheDir(cacheDirFlag, config, base, env.cwd);
  checkCacheFolderShape(cacheDir);
  return { config, cacheDir };
}

/**
 * The cache store for a command that reads it without the lock (plan, runs, diff, report,
 * cache ls): damage it finds is said on stderr and passed over, nothing is moved.
 */
export function readOnlyStore(env: CliEnv, cacheDir: string): CacheStore {
  const store = new CacheStore(cacheDir, { readOnly: true });
  store.onProblem((p) => env.stderr.write(`warning: ${escapeControls(describeProblem(p, store.root))} (\`lvis-pipe cache verify --repair\` moves it aside)\n`));
  return store;
}

/** For commands that read an existing cache: a missing folder is said plainly. */
export function requireCacheFolder(cacheDir: string, what: string): void {
  if (!existsSync(cacheDir)) {
    // The user named a place where there is no cache: a usage mistake (exit 2), like a typo.
    throw new DiagnosticError([{ severity: 'error', message: `no cache folder at ${displayPath(cacheDir)}; pass ${what} or --cache-dir DIR` }], USAGE_EXIT);
  }
}

/** `dist/validators/`, written by `npm run build` (scripts/build-validator.ts). */
export const PREBUILT_VALIDATORS = fileURLToPath(new URL('../../validators/', import.meta.url));

/**
 * Where the prebuilt validators are: `LVIS_PIPE_PREBUILT_VALIDATORS` when set (empty: none, so
 * that the cache folder's compiled validator is used, as the integrity tests need), else
 * PREBUILT_VALIDATORS.
 */
function prebuiltValidators(): string | undefined {
  const dir = process.env.LVIS_PIPE_PREBUILT_VALIDATORS;
  return dir === undefined ? PREBUILT_VALIDATORS : dir || undefined;
}

export async function loadPipelineContext(
  env: CliEnv,
  file: string | undefined,
  values: { set?: string[]; params?: string; 'cache-dir'?: string; json?: boolean },
  usage: string,
  checkFiles = true,
): Promise<PipelineContext> {
  if (!file) throw new UsageError(`missing the pipeline FILE\n\n${usage}`);
  const abs = path.resolve(env.cwd, file);
  const { config, cacheDir } = await locateCache(env, abs, values['cache-dir']);
  const resolveOptions: ResolveOptions = {
    validatorCacheDir: path.join(cacheDir, 'validators'),
    prebuiltValidatorDir: prebuiltValidators(),
    set: values.set ?? [],
    ...(values.params ? { paramsFile: path.resolve(env.cwd, values.params) } : {}),
    ...(config.config.params && config.file ? { configParams: { values: config.config.params, file: config.file } } : {}),
    cwd: env.cwd,
    checkFiles,
    onCacheProblem: (p) => env.stderr.write(`${escapeControls(describeProblem(p, cacheDir))}; compiled again\n`),
  };
  const pipeline = loadPipeline(abs, env.registry, resolveOptions);
  if (pipeline.warnings.length > 0 && !values.json) printDiagnostics(env, pipeline.warnings, false, 0);
  return { pipeline, config, cacheDir, resolveOptions };
}

/**
 * What a command must never write a file of its own over (`report --out`, a sweep's table and
 * chart), besides the run's inputs and outputs: the pipeline file, the `--params` file, the
 * config file, and anything inside the cache folder.
 */
export function commandProtectedFiles(ctx: PipelineContext): NamedFile[] {
  const files: NamedFile[] = [{ file: ctx.pipeline.file, role: 'the pipeline file' }];
  if (ctx.resolveOptions.paramsFile) files.push({ file: ctx.resolveOptions.paramsFile, role: 'the --params file' });
  if (ctx.config.file) files.push({ file: ctx.config.file, role: 'the config file' });
  return files;
}

/** Why `target`, which a command would write, must not be: a file of the run or of the command (`commandProtectedFiles`), or inside the cache folder. Undefined when it may. */
export function commandWriteProblem(what: string, target: string, ctx: PipelineContext, also: readonly NamedFile[] = [], opts: { skipAfterRun?: boolean } = {}): string | undefined {
  const rel = path.relative(ctx.cacheDir, target);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    return `${what} ${displayPath(target)} is inside the cache folder ${displayPath(ctx.cacheDir)}: writing there would damage the cache. Choose another path`;
  }
  const hit = runFileAt(target, ctx.pipeline.steps, [...commandProtectedFiles(ctx), ...also], opts);
  return hit ? overwriteMessage(what, target, hit) : undefined;
}

/** Throws (exit 2) when `commandWriteProblem` finds one. */
export function refuseCommandWrite(what: string, target: string, ctx: PipelineContext, also: readonly NamedFile[] = [], opts: { skipAfterRun?: boolean } = {}): void {
  const problem = commandWriteProblem(what, target, ctx, also, opts);
  if (problem) throw new DiagnosticError([{ severity: 'error', message: problem }], USAGE_EXIT);
}

export function parseJobs(flag: string | undefined, config: LoadedConfig): number {
  if (flag !== undefined) {
    const n = Number(flag);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs must be a whole number ≥ 1, got ${JSON.stringify(flag)}`);
    return n;
  }
  return config.config.jobs ?? availableParallelism();
}

export { DiagnosticError };
