/**
 * The step contract. A step is a plain typed module (default export) that declares what it
 * is, what it takes and what it makes, and a `run(ctx)` that does the work. A step never
 * touches the cache, the lock or the run records: the runner owns those.
 *
 * This file is generic: nothing in src/runner/ knows about LVIS.
 */
import type { HistoryRecord } from '../cache/records.js';
import type { ProgressReporter } from '../../base/progress.js';

/** What an `afterRun` hook gets: part of the step contract. */
export type { HistoryRecord };

/**
 * The resolved pipeline as an `afterRun` hook sees it (the runner's Pipeline has this shape;
 * the contract names only what a hook may read).
 */
export interface PipelineView {
  /** The pipeline file as the user named it. */
  displayFile: string;
  /** Its folder (absolute). */
  dir: string;
  /** Step ids in execution order. */
  order: readonly string[];
  steps: ReadonlyMap<string, { id: string; type: string; deps: readonly string[]; options: Record<string, unknown>; outputPaths: Record<string, string> }>;
}

/** A JSON Schema object (draft 2020-12 / draft-07 subset that ajv understands). */
export type JsonSchema = Record<string, unknown>;

/**
 * How an artifact kind is stored in the content-addressed store.
 * - `value` kinds are serialized to bytes by the kind's codec (JSON, a columnar binary, ...).
 * - `file` kinds are files the step writes to `ctx.outputFile(name)`; the runner moves them
 *   into the store and passes downstream steps the stored path (read-only).
 */
export type ArtifactKind<T = unknown> =
  | {
      name: string;
      storage: 'value';
      description?: string;
      encode(value: T): Uint8Array | Promise<Uint8Array>;
      decode(bytes: Uint8Array): T;
    }
  | { name: string; storage: 'file'; description?: string };

export interface InputSpec {
  /** Artifact kind name; an input may only be wired to an output of the same kind. */
  kind: string;
  optional?: boolean;
  description?: string;
}

export interface OutputSpec {
  kind: string;
  description?: string;
  /**
   * For `file` kinds: the name of the option that holds the user-facing path (e.g. `out`).
   * The runner materializes the stored file there after a run or on a cache hit, and
   * restores it if deleted, without recomputing. Relative paths are resolved against the
   * pipeline file's folder.
   */
  pathOption?: string;
  /**
   * The output's value is a flat record of named numbers/strings (quality metrics). The
   * runner copies it into the run history so `runs`, `diff` and sweeps can show it.
   */
  metrics?: boolean;
}


export interface StepContext<Options = Record<string, unknown>, Inputs = Record<string, unknown>> {
  /** The step's id in the pipeline (for messages). */
  stepId: string;
  /**
   * Options with defaults applied and `${params.x}` interpolated. Options named in
   * `fileOptions` and `folderOptions` hold absolute paths.
   */
  options: Options;
  /**
   * Decoded input artifacts, by input name. Optional inputs that are not wired are undefined.
   * Read-only: one decoded value is shared by every consumer in the process. Plain objects and
   * arrays are frozen (changing them throws); typed arrays are not, and must not be changed.
   */
  inputs: Inputs;
  progress: ProgressReporter;
  /** A note for the user (shown in the run output, kept in the run record). */
  log(message: string): void;
  /** Aborted on Ctrl-C, or when the run is stopping. Long loops should check it. */
  signal: AbortSignal;
  /** Absolute path where the step must write the file output `name` (a fresh temp path). */
  outputFile(name: string): string;
  /** A private scratch folder, removed after the step. */
  tempDir: string;
  /**
   * The sha256 of every file the step reads, by absolute path: its file options' files and its
   * file inputs' stored objects, as the runner hashed them for the key. A step whose output
   * refers to such a file (rather than copying it) puts the digest into the output, so that the
   * output's bytes change when the file's content does (the runner's early cutoff compares them).
   */
  fileDigests: Readonly<Record<string, string>>;
  /**
   * Files (absolute paths of the step's `hashesFiles` options) whose digest the runner does not
   * know, and so not in `fileDigests`: the step must compute the sha256 of each from the bytes it
   * reads and report it with `reportDigest`. Absent or empty when the runner knows every digest.
   */
  hashWhileReading?: readonly string[];
  /** Reports the sha256 (hex) of the bytes the step read from `path`, one of `hashWhileReading`. */
  reportDigest?(path: string, sha256: string): void;
}

/** A problem `check()` finds: an error stops the pipeline before it runs; a warning is shown and it runs. */
export interface OptionProblem {
  message: string;
  at?: 'options' | 'inputs' | 'type';
  key?: string;
  severity?: 'error' | 'warning';
}

export interface StepModule<Options = any, Inputs = any, Outputs = any> {
  /** The type name used in pipeline files (`type: load`). */
  type: string;
  /** Implementation version: bump it when the step's results would change for the same key. */
  version: number;
  description: string;
  /** JSON Schema of the options object, with `default`s; `additionalProperties: false`. */
  optionsSchema: JsonSchema;
  inputs: Record<string, InputSpec>;
  outputs: Record<string, OutputSpec>;
  /**
   * Options whose values (a path or a list of paths) name files the step reads. Paths are
   * resolved against the pipeline file's folder and their contents hashed into the cache key.
   */
  fileOptions?: string[];
  /**
   * Options whose values name folders the step reads (a local copy of a dataset's images):
   * resolved against the pipeline file's folder like file options, and in the key as written
   * relative to it, but not hashed (a folder's content is no part of the key).
   */
  folderOptions?: string[];
  /**
   * Some of `fileOptions` whose files `run` reads whole, start to end, and can hash (sha256 of
   * the file's bytes on disk) in the same pass. When the runner has no trusted digest for such a
   * file (its stat cache misses: a new or changed file), it does not read the file once to hash
   * it and let the step read it again: it runs the step with the file in `ctx.hashWhileReading`,
   * and the step reports the digest with `ctx.reportDigest`; the step's key is computed then
   * (runner/exec/deferred-key.ts). A step that declares it must report every file it is asked to.
   */
  hashesFiles?: string[];
  /** CPU-heavy: the runner may run it in a worker thread (the module is re-imported there). */
  cpuHeavy?: boolean;
  /**
   * Optional, for `cpuHeavy` steps with a slow start (heavy libraries to import, code to JIT):
   * loads what `run` will need. When the step is likely to run, the runner starts its worker
   * early and calls this there while the step's inputs are still being made. It must have no
   * effect other than speed.
   */
  warmUp?(): Promise<void>;
  /** Artifact kinds this step introduces (the runner collects them from all steps). */
  kinds?: ArtifactKind<any>[];
  run(ctx: StepContext<Options, Inputs>): Promise<Outputs>;
  /**
   * Optional checks that a JSON Schema of the options cannot express (e.g. "exactly one of the
   * option `path` and the input `file`"), run at validation time with the options as written
   * (defaults applied) and the names of the wired inputs. Each problem is reported at the step,
   * with the others, before anything runs.
   */
  check?(options: Options, wiredInputs: ReadonlySet<string>): OptionProblem[];
  /**
   * Optional, for products that are a view of the whole run (which steps ran or were cache
   * hits, and how long each took), which no cached step can know: called after every pipeline
   * run in which this step ran or was a cache hit, with the step's decoded outputs and the
   * run's record. Never cached; returns the absolute paths of the files it wrote.
   */
  afterRun?(ctx: AfterRunContext<Options, Outputs>): Promise<string[]>;
  /**
   * Options whose values are folders the step's `sync` keeps in line with its outputs. Like
   * output paths they are resolved against the pipeline's folder, are not part of the key, are
   * checked against every other file of the run (no input or output may lie inside one: `sync`
   * may remove whatever else is there) and move into a sweep variant's folder.
   */
  syncFolders?: string[];
  /**
   * Optional, for results the runner does not store (too large, or fetched from elsewhere: a
   * folder of images): brings the `syncFolders` in line with the step's outputs. Called in every
   * run in which the step ran or was a cache hit, once its outputs are in place, so a folder the
   * user changed is set right even when nothing is recomputed: it must be quick when nothing is
   * to do. A throw fails the step (its stored outputs stay); the next run calls it again.
   */
  sync?(ctx: SyncContext<Options, Outputs>): Promise<void>;
  /**
   * Options that hold the paths of files `afterRun` writes. The runner resolves them against the
   * pipeline's folder like output paths, checks them against every other file of the run, and
   * moves them into a sweep variant's folder with its outputs. Not part of the cache key.
   */
  afterRunFiles?: string[];
}

export interface SyncContext<Options = Record<string, unknown>, Outputs = Record<string, unknown>> {
  stepId: string;
  /** Resolved options, as `run` gets them (sync folders and output paths absolute). */
  options: Options;
  /** The step's outputs: decoded values, and stored paths for file outputs. */
  outputs: Outputs;
  progress: ProgressReporter;
  log(message: string): void;
  signal: AbortSignal;
  /**
   * A folder in the cache for this step type's data, kept across runs and sweep variants (and
   * by `cache gc`; `cache clear` empties it): what `sync` fetches from elsewhere, so that no run
   * fetches it twice. The cache's lock makes it the run's alone.
   */
  dataDir: string;
}

export interface AfterRunContext<Options = Record<string, unknown>, Outputs = Record<string, unknown>> {
  stepId: string;
  /** Resolved options, as `run` gets them (output path options absolute). */
  options: Options;
  /** This step's outputs: decoded values, and stored paths for file outputs. */
  outputs: Outputs;
  /** The resolved pipeline. */
  pipeline: PipelineView;
  /** The run's history record: params, each step's status, time and outputs, the metrics. */
  history: HistoryRecord;
  /** When the run is a sweep variant: every variant of the sweep, for a comparison. */
  sweep?: SweepVariantRow[];
}

/** One variant of a sweep, as an afterRun hook sees it. */
export interface SweepVariantRow {
  label: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  durationMs: number;
  status: string;
}
