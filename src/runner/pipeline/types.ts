/** A pipeline file as read, and as resolved: its steps with their options, inputs, files and output paths. */
import type { ParamDecl, ParamOverride, ParamValue } from './params.js';
import { type Diagnostic } from '../../base/diagnostic.js';
import type { StepModule } from '../step/step.js';
import type { YamlSource } from './yaml-source.js';
import type { ProblemSink } from '../cache/integrity.js';

/** Exit status for an invalid pipeline (nothing runs). */
export const INVALID_PIPELINE_EXIT = 2;

export interface PipelineSource {
  src: YamlSource;
  /** Absolute path of the pipeline file. */
  file: string;
  /** Its folder: relative paths in the file are resolved against it. */
  dir: string;
  raw: Record<string, unknown>;
  decls: Map<string, ParamDecl>;
  /** Problems found while reading (reported together with the resolution's). */
  diagnostics: Diagnostic[];
}

export interface ResolvedInput {
  name: string;
  step: string;
  output: string;
  kind: string;
}

export interface FileDep {
  option: string;
  /** Absolute path. */
  path: string;
  /** Path relative to the pipeline's folder, with `/` (stable across checkouts; used in keys). */
  rel: string;
}

export interface ResolvedStep {
  id: string;
  type: string;
  module: StepModule;
  description?: string;
  /** Interpolated, defaults applied; file options and output path options absolute. */
  options: Record<string, unknown>;
  inputs: Record<string, ResolvedInput>;
  /** Ids of the steps this one reads from (unique, in input order). */
  deps: string[];
  files: FileDep[];
  /** Output name → absolute path the user asked for (outputs with a pathOption that is set). */
  outputPaths: Record<string, string>;
  /** Option name → absolute path of a file the step's afterRun hook writes (`afterRunFiles`). */
  afterRunPaths: Record<string, string>;
  /** Option name → absolute path of a folder the step's sync keeps (`syncFolders`). */
  syncPaths: Record<string, string>;
}

export interface Pipeline {
  /** What validation found worth saying that does not stop the run (there were no errors). */
  warnings: Diagnostic[];
  source: PipelineSource;
  file: string;
  dir: string;
  displayFile: string;
  /** Stable identity of the pipeline (its absolute path), names its state in the cache. */
  id: string;
  params: Record<string, unknown>;
  paramValues: ReadonlyMap<string, ParamValue>;
  steps: ReadonlyMap<string, ResolvedStep>;
  /** Step ids in a topological order (file order where the DAG leaves a choice). */
  order: string[];
  /** The `sweep:` section as written (validated in shape; `run` ignores it). */
  sweep?: Record<string, unknown>;
}

export interface ResolveOptions {
  /** `--set name=value` arguments. */
  set?: readonly string[];
  /** `--params FILE`. */
  paramsFile?: string;
  /** Default params from the configuration file. */
  configParams?: { values: Record<string, unknown>; file: string };
  /** Further overrides applied last (a sweep variant). */
  overrides?: readonly ParamOverride[];
  /** Where --set paths are relative to (default: process.cwd()). */
  cwd?: string;
  /** Where to keep the compiled schema validator between runs (e.g. `<cache>/validators`). */
  validatorCacheDir?: string;
  /** Validators compiled at build time (read-only), looked up before validatorCacheDir. */
  prebuiltValidatorDir?: string;
  /** Told when the cached validator fails its check (it is compiled again). */
  onCacheProblem?: ProblemSink;
  /** Check that files named by file options exist (default true). */
  checkFiles?: boolean;
}
