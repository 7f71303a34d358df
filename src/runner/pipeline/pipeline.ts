/**
 * Reading and resolving a pipeline file: params, overrides, `${params.x}` interpolation,
 * schema validation (the composed schema, with step defaults applied), input references,
 * artifact kinds, cycles, file options and output paths. Every problem found becomes a
 * Diagnostic with its file:line:col; all of them are reported at once (exit status 2).
 *
 * Reading (parse + param declarations) is separate from resolving (params → concrete
 * steps) so that a sweep can resolve one parsed file many times with different params.
 */
import { schemaDiagnostics } from './schema-errors.js';
import { fileClashes } from './file-clashes.js';
import path from 'node:path';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { sha256 } from '../cache/hash.js';
import {
  applyOverrides,
  interpolate,
  isPlainObject,
  leadingParamRef,
  paramsFileOverrides,
  parseParamDecls,
  parseSetArgs,
  resolvePathValue,
  type ParamOverride,
  type ParamValue,
} from './params.js';
import type { StepRegistry } from '../step/registry.js';
import { buildPipelineSchema } from './schema.js';
import { compileSchema, type Validator, type ValidatorDirs } from './validator-cache.js';
import type { ProblemSink } from '../cache/integrity.js';
import type { StepModule } from '../step/step.js';
import { YamlSource, type DocPath } from './yaml-source.js';
import { INVALID_PIPELINE_EXIT, Pipeline, PipelineSource, ResolveOptions, ResolvedStep } from './types.js';
import { findCycles, topoOrder } from './step-order.js';
import { checkSweep } from './sweep-section.js';
import { pointer, resolveStep, type StepContext } from './resolve-step.js';

export { relPosix } from './resolve-step.js';

/** A pipeline's identity in the cache (its state and history records): a hash of its absolute path. */
export function pipelineIdOf(absFile: string): string {
  return sha256(absFile).slice(0, 16);
}

export function readPipeline(file: string): PipelineSource {
  const src = YamlSource.load(file, INVALID_PIPELINE_EXIT);
  const diagnostics: Diagnostic[] = [...src.warnings()];
  let raw = src.toJS();
  if (!isPlainObject(raw)) {
    diagnostics.push(src.diagnosticAt([], 'a pipeline file must be a mapping with `steps:` (and optionally `params:` and `sweep:`)'));
    raw = {};
  }
  const decls = parseParamDecls(src, (raw as Record<string, unknown>).params, diagnostics);
  return { src, file: src.file, dir: path.dirname(src.file), raw: raw as Record<string, unknown>, decls, diagnostics };
}

export function loadPipeline(file: string, registry: StepRegistry, opts: ResolveOptions = {}): Pipeline {
  return resolvePipeline(readPipeline(file), registry, opts);
}

const validators = new WeakMap<StepRegistry, Validator>();

function validatorFor(registry: StepRegistry, dirs: ValidatorDirs, onProblem: ProblemSink | undefined): Validator {
  let v = validators.get(registry);
  if (!v) {
    v = compileSchema(buildPipelineSchema(registry, { paramRefs: false }), dirs, onProblem);
    validators.set(registry, v);
  }
  return v;
}

export function resolvePipeline(source: PipelineSource, registry: StepRegistry, opts: ResolveOptions = {}): Pipeline {
  const { src, raw, decls, dir } = source;
  const diags: Diagnostic[] = [...source.diagnostics];
  const rawSteps = isPlainObject(raw.steps) ? raw.steps : {};

  // 1. Params: defaults < config < --params file < --set < extra overrides; path params resolved.
  const paramValues = applyOverrides(decls, dir, gatherOverrides(opts, diags), diags);
  const pathParams = pathParamNames(source, rawSteps, registry);
  const effectiveValues = new Map<string, ParamValue>();
  for (const [name, pv] of paramValues) {
    effectiveValues.set(name, pathParams.has(name) ? { ...pv, value: resolvePathValue(pv.value, pv.baseDir) } : pv);
  }

  // 2. Interpolate options, remembering which values came from which param.
  const fromParam = new Map<string, string>(); // JSON pointer → param name
  const resolvedDoc = interpolateSteps(source, rawSteps, effectiveValues, fromParam, diags);

  // 3. Schema validation (also fills in option defaults).
  const validate = validatorFor(registry, { cache: opts.validatorCacheDir, prebuilt: opts.prebuiltValidatorDir }, opts.onCacheProblem);
  if (!validate(resolvedDoc)) {
    diags.push(...schemaDiagnostics(validate.errors ?? [], src, registry, resolvedDoc, fromParam, effectiveValues));
  }

  // 4. Steps: references, kinds, files, output paths.
  const stepsDoc = (isPlainObject(resolvedDoc.steps) ? resolvedDoc.steps : {}) as Record<string, Record<string, unknown>>;
  const ids = Object.keys(stepsDoc);
  const ctx: StepContext = { src, dir, registry, stepsDoc, diags, outputOwners: new Map(), checkFiles: opts.checkFiles !== false, paramOf: paramFor(fromParam, paramValues) };
  const steps = new Map<string, ResolvedStep>();
  for (const id of ids) {
    const step = resolveStep(id, ctx);
    if (step) steps.set(id, step);
  }

  // 5. Cycles; no output over an input, nor two outputs in one file (through links too).
  reportCycles(ids, steps, src, diags);
  if (!diags.some((d) => d.severity === 'error')) diags.push(...fileClashes(steps, src));

  // 6. Sweep: shape is in the schema; names and values must fit the params.
  const sweep = isPlainObject(raw.sweep) ? raw.sweep : undefined;
  if (sweep) checkSweep(sweep, src, decls, steps, diags);

  if (diags.some((d) => d.severity === 'error')) throw new DiagnosticError(sortDiagnostics(dedupe(diags)), INVALID_PIPELINE_EXIT);

  const params: Record<string, unknown> = {};
  for (const [name, pv] of effectiveValues) params[name] = pv.value;
  return {
    source,
    file: source.file,
    dir,
    displayFile: src.displayFile,
    id: pipelineIdOf(source.file),
    params,
    paramValues: effectiveValues,
    steps,
    order: topoOrder(ids, steps),
    sweep,
    warnings: sortDiagnostics(dedupe(diags)),
  };
}

/** The params' overrides, in order of precedence: the config, the --params file, --set, extra ones. */
function gatherOverrides(opts: ResolveOptions, diags: Diagnostic[]): ParamOverride[] {
  const overrides: ParamOverride[] = [];
  if (opts.configParams) {
    for (const [name, value] of Object.entries(opts.configParams.values)) {
      overrides.push({ name, value, origin: { kind: 'config', file: opts.configParams.file }, baseDir: path.dirname(path.resolve(opts.configParams.file)) });
    }
  }
  if (opts.paramsFile) {
    try {
      overrides.push(...paramsFileOverrides(YamlSource.load(opts.paramsFile), diags));
    } catch (err) {
      if (err instanceof DiagnosticError) diags.push(...err.diagnostics);
      else throw err;
    }
  }
  if (opts.set) overrides.push(...parseSetArgs(opts.set, opts.cwd ?? process.cwd(), diags));
  if (opts.overrides) overrides.push(...opts.overrides);
  return overrides;
}

/** Path params: declared `type: path`, or used at the start of a file/path option. */
function pathParamNames(source: PipelineSource, rawSteps: Record<string, unknown>, registry: StepRegistry): Set<string> {
  const pathParams = new Set([...source.decls.values()].filter((d) => d.type === 'path').map((d) => d.name));
  for (const step of Object.values(rawSteps)) {
    const mod = isPlainObject(step) && typeof step.type === 'string' ? registry.get(step.type) : undefined;
    if (!mod || !isPlainObject(step) || !isPlainObject(step.options)) continue;
    for (const opt of pathLikeOptions(mod)) {
      const v = step.options[opt];
      for (const item of Array.isArray(v) ? v : [v]) {
        const p = leadingParamRef(item);
        if (p) pathParams.add(p);
      }
    }
  }
  return pathParams;
}

/** The document with every step's options interpolated (`${params.x}`); `fromParam` records which values came from a param. */
function interpolateSteps(
  source: PipelineSource,
  rawSteps: Record<string, unknown>,
  values: Map<string, ParamValue>,
  fromParam: Map<string, string>,
  diags: Diagnostic[],
): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [id, step] of Object.entries(rawSteps)) {
    if (!isPlainObject(step)) {
      steps[id] = step;
      continue;
    }
    const options =
      step.options === undefined || step.options === null
        ? {}
        : interpolate(step.options, ['steps', id, 'options'], {
            values,
            onUse: (p, name) => fromParam.set(pointer(p), name),
            error: (p, message) => diags.push(source.src.diagnosticAt(p, message)),
          });
    steps[id] = { ...step, inputs: step.inputs ?? {}, options };
  }
  return { ...source.raw, steps };
}

/** The param an option's value (at a document path) came from, when one was given other than by its default. */
function paramFor(fromParam: Map<string, string>, paramValues: Map<string, ParamValue>): (at: DocPath, isListItem: boolean) => ParamValue | undefined {
  return (at, isListItem) => {
    const param = fromParam.get(pointer(at)) ?? (isListItem ? fromParam.get(pointer(at.slice(0, -1))) : undefined);
    return param ? paramValues.get(param) : undefined;
  };
}

function reportCycles(ids: string[], steps: Map<string, ResolvedStep>, src: YamlSource, diags: Diagnostic[]): void {
  for (const cycle of findCycles(ids, steps)) {
    const [first, second] = [cycle[0]!, cycle[1] ?? cycle[0]!];
    // `second` reads from `first`: point at that input.
    const inputName = Object.values(steps.get(second)!.inputs).find((i) => i.step === first)?.name;
    const names = [...cycle, cycle[0]!].map((s) => `\`${s}\``).join(' → ');
    diags.push(src.diagnosticAt(['steps', second, 'inputs', ...(inputName ? [inputName] : [])], `cycle: ${names} (each step reads from the one before it); a pipeline must be acyclic`));
  }
}

/** Options that hold paths: file inputs, folders read, output path options and sync folders. */
function pathLikeOptions(mod: StepModule): string[] {
  const out = [...(mod.fileOptions ?? []), ...(mod.folderOptions ?? []), ...(mod.syncFolders ?? [])];
  for (const spec of Object.values(mod.outputs)) if (spec.pathOption) out.push(spec.pathOption);
  return out;
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.location?.file}:${d.location?.line}:${d.location?.col}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => {
    const fa = a.location?.file ?? '';
    const fb = b.location?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    return (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0);
  });
}
