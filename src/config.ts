/**
 * User configuration through cosmiconfig: `lvis-pipe.config.{js,mjs,cjs,ts,json,yaml,yml}`,
 * `.lvis-piperc` (YAML or JSON), `.lvis-piperc.{json,yaml,yml,js,...}`, or an
 * `"lvis-pipe"` key in package.json, searched from the pipeline's folder up to the
 * project root (the nearest package.json).
 *
 *   cacheDir: .cache/lvis-pipe   # relative to the config file
 *   jobs: 2
 *   lockTimeout: 600             # seconds
 *   workers: true                # run cpu-heavy steps in worker threads
 *   params: { seed: 1 }          # default params for every pipeline that declares them
 */
import path from 'node:path';
import { DiagnosticError } from './base/diagnostic.js';
import { displayPath } from './base/display-path.js';

export interface LvisPipeConfig {
  cacheDir?: string;
  jobs?: number;
  lockTimeout?: number;
  workers?: boolean;
  params?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: LvisPipeConfig;
  /** The config file, if one was found. */
  file?: string;
}

const MODULE = 'lvis-pipe';

/** Checks the config's shape by hand (five keys: not worth importing ajv at start-up). */
function configProblems(c: unknown): string[] {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return ['the configuration must be an object'];
  const out: string[] = [];
  const known = ['cacheDir', 'jobs', 'lockTimeout', 'workers', 'params'];
  for (const [k, v] of Object.entries(c)) {
    if (!known.includes(k)) out.push(`unknown configuration key \`${k}\`; expected ${known.join(', ')}`);
    else if (k === 'cacheDir' && (typeof v !== 'string' || v === '')) out.push('cacheDir must be a non-empty string (a folder)');
    else if (k === 'jobs' && !(Number.isInteger(v) && (v as number) >= 1)) out.push('jobs must be a whole number ≥ 1');
    else if (k === 'lockTimeout' && !(typeof v === 'number' && v >= 0)) out.push('lockTimeout must be a number of seconds ≥ 0');
    else if (k === 'workers' && typeof v !== 'boolean') out.push('workers must be true or false');
    else if (k === 'params' && (typeof v !== 'object' || v === null || Array.isArray(v))) out.push('params must be a mapping of param names to values');
  }
  return out;
}

export async function loadConfig(searchFrom: string): Promise<LoadedConfig> {
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig(MODULE, {
    searchStrategy: 'project',
    searchPlaces: [
      'package.json',
      `.${MODULE}rc`,
      `.${MODULE}rc.json`,
      `.${MODULE}rc.yaml`,
      `.${MODULE}rc.yml`,
      `.${MODULE}rc.js`,
      `.${MODULE}rc.mjs`,
      `.${MODULE}rc.cjs`,
      `${MODULE}.config.json`,
      `${MODULE}.config.yaml`,
      `${MODULE}.config.yml`,
      `${MODULE}.config.js`,
      `${MODULE}.config.mjs`,
      `${MODULE}.config.cjs`,
      `${MODULE}.config.ts`,
    ],
  });
  let found;
  try {
    found = await explorer.search(searchFrom);
  } catch (err) {
    throw new DiagnosticError([{ severity: 'error', message: `cannot read the lvis-pipe configuration: ${(err as Error).message}` }], 2);
  }
  if (!found || found.isEmpty) return { config: {}, ...(found ? { file: found.filepath } : {}) };
  const config = (found.config ?? {}) as LvisPipeConfig;
  const problems = configProblems(config);
  if (problems.length) {
    const file = displayPath(found.filepath);
    throw new DiagnosticError(
      problems.map((message) => ({ severity: 'error' as const, location: { file }, message })),
      2,
    );
  }
  return { config, file: found.filepath };
}

/**
 * The cache folder: --cache-dir (relative to the cwd), else the config's cacheDir
 * (relative to the config file), else `.lvis-pipe/` beside the pipeline file.
 */
export function resolveCacheDir(flag: string | undefined, loaded: LoadedConfig, pipelineDir: string, cwd = process.cwd()): string {
  if (flag) return path.resolve(cwd, flag);
  if (loaded.config.cacheDir && loaded.file) return path.resolve(path.dirname(loaded.file), loaded.config.cacheDir);
  return path.join(pipelineDir, '.lvis-pipe');
}
