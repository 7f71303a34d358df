/**
 * Reading and resolving a pipeline file: params, overrides, `${params.x}` interpolation,
 * schema validation (the composed schema, with step defaults applied), input references,
 * artifact kinds, cycles, file options and output paths. Every problem found becomes a
 * Diagnostic with its file:line:col; all of them are reported at once (exit status 2).
 *
 * Reading (parse + param declarations) is separate from resolving (params → concrete
 * steps) so that a sweep can resolve one parsed file many times with different params.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { sha256 } from '../cache/hash.js';
import {
  applyOverrides,
  checkParamValue,
  describeValue,
  interpolate,
  isPlainObject,
  leadingParamRef,
  originLabel,
  paramsFileOverrides,
  parseParamDecls,
  parseSetArgs,
  resolvePathValue,
  shortJson,
  type ParamDecl,
  type ParamOverride,
  type ParamValue,
} from './params.js';
import type { StepRegistry } from '../step/registry.js';
import { buildPipelineSchema, SWEEP_CHART_KEYS, SWEEP_KEYS } from './schema.js';
import { compileSchema, type Validator } from './validator-cache.js';
import type { StepModule } from '../step/step.js';
import { didYouMean, listNames } from '../../base/suggest.js';
import { YamlSource, pointerToPath, type DocPath } from './yaml-source.js';
import { displayPath } from '../../base/display-path.js';

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
}

export interface Pipeline {
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
  /** Check that files named by file options exist (default true). */
  checkFiles?: boolean;
}

/** A pipeline's identity in the cache (its state and history records): a hash of its absolute path. */
export function pipelineIdOf(absFile: string): string {
  return sha256(absFile).slice(0, 16);
}

export function readPipeline(file: string): PipelineSource {
  const src = YamlSource.load(file, INVALID_PIPELINE_EXIT);
  const diagnostics: Diagnostic[] = [];
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

function validatorFor(registry: StepRegistry, cacheDir: string | undefined): Validator {
  let v = validators.get(registry);
  if (!v) {
    v = compileSchema(buildPipelineSchema(registry, { paramRefs: false }), cacheDir);
    validators.set(registry, v);
  }
  return v;
}

export function resolvePipeline(source: PipelineSource, registry: StepRegistry, opts: ResolveOptions = {}): Pipeline {
  const { src, raw, decls, dir } = source;
  const cwd = opts.cwd ?? process.cwd();
  const diags: Diagnostic[] = [...source.diagnostics];
  const rawSteps = isPlainObject(raw.steps) ? raw.steps : {};

  // 1. Params: defaults < config < --params file < --set < extra overrides.
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
  if (opts.set) overrides.push(...parseSetArgs(opts.set, cwd, diags));
  if (opts.overrides) overrides.push(...opts.overrides);
  const paramValues = applyOverrides(decls, dir, overrides, diags);

  // 2. Path params: declared `type: path`, or used at the start of a file/path option.
  const pathParams = new Set([...decls.values()].filter((d) => d.type === 'path').map((d) => d.name));
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
  const effectiveValues = new Map<string, ParamValue>();
  for (const [name, pv] of paramValues) {
    effectiveValues.set(name, pathParams.has(name) ? { ...pv, value: resolvePathValue(pv.value, pv.baseDir) } : pv);
  }

  // 3. Interpolate options, remembering which values came from which param.
  const fromParam = new Map<string, string>(); // JSON pointer → param name
  const resolvedDoc: Record<string, unknown> = { ...raw, steps: {} };
  for (const [id, step] of Object.entries(rawSteps)) {
    if (!isPlainObject(step)) {
      (resolvedDoc.steps as Record<string, unknown>)[id] = step;
      continue;
    }
    const options =
      step.options === undefined || step.options === null
        ? {}
        : interpolate(step.options, ['steps', id, 'options'], {
            values: effectiveValues,
            onUse: (p, name) => fromParam.set(pointer(p), name),
            error: (p, message) => diags.push(src.diagnosticAt(p, message)),
          });
    (resolvedDoc.steps as Record<string, unknown>)[id] = { ...step, inputs: step.inputs ?? {}, options };
  }

  // 4. Schema validation (also fills in option defaults).
  const validate = validatorFor(registry, opts.validatorCacheDir);
  if (!validate(resolvedDoc)) {
    diags.push(...schemaDiagnostics(validate.errors ?? [], src, registry, resolvedDoc, fromParam, effectiveValues));
  }

  // 5. Steps: references, kinds, files, output paths.
  const stepsDoc = (isPlainObject(resolvedDoc.steps) ? resolvedDoc.steps : {}) as Record<string, Record<string, unknown>>;
  const ids = Object.keys(stepsDoc);
  const steps = new Map<string, ResolvedStep>();
  const outputOwners = new Map<string, string>();
  for (const id of ids) {
    const step = stepsDoc[id];
    if (!isPlainObject(step) || typeof step.type !== 'string') continue;
    const mod = registry.get(step.type);
    if (!mod) continue; // reported by the schema pass
    const options = (isPlainObject(step.options) ? step.options : {}) as Record<string, unknown>;
    const inputs: Record<string, ResolvedInput> = {};
    const rawInputs = isPlainObject(step.inputs) ? step.inputs : {};
    for (const [name, ref] of Object.entries(rawInputs)) {
      const spec = mod.inputs[name];
      if (!spec || typeof ref !== 'string') continue; // reported by the schema pass
      const at = ['steps', id, 'inputs', name];
      const resolved = resolveReference(ref, name, spec.kind, id, stepsDoc, registry, (m) => diags.push(src.diagnosticAt(at, m)));
      if (resolved) inputs[name] = resolved;
    }
    for (const problem of mod.check?.(options, new Set(Object.keys(rawInputs))) ?? []) {
      const section = problem.at ?? 'type';
      const at = section === 'type' ? ['steps', id, 'type'] : ['steps', id, section, ...(problem.key && isPlainObject(step[section]) && problem.key in (step[section] as object) ? [problem.key] : [])];
      diags.push(src.diagnosticAt(at, `step \`${id}\` (type \`${step.type}\`): ${problem.message}`));
    }
    const files: FileDep[] = [];
    for (const opt of mod.fileOptions ?? []) {
      const v = options[opt];
      if (v === undefined || v === null || v === '') continue;
      const list = Array.isArray(v) ? v : [v];
      list.forEach((item, i) => {
        const at = ['steps', id, 'options', opt, ...(Array.isArray(v) ? [i] : [])];
        if (typeof item !== 'string') {
          diags.push(src.diagnosticAt(at, `step \`${id}\`: option \`${opt}\` must be a path (or a list of paths), got ${describeValue(item)}`));
          return;
        }
        const abs = path.resolve(dir, item);
        files.push({ option: opt, path: abs, rel: relPosix(dir, abs) });
        if (opts.checkFiles !== false) {
          const problem = fileProblem(abs);
          if (problem) {
            const param = fromParam.get(pointer(at)) ?? (Array.isArray(v) ? fromParam.get(pointer(at.slice(0, -1))) : undefined);
            const pv = param ? paramValues.get(param) : undefined;
            const whence = pv && pv.origin.kind !== 'default' ? ` (from ${originLabel(pv.origin)})` : '';
            diags.push(src.diagnosticAt(at, `step \`${id}\`: option \`${opt}\`: ${problem}: ${displayPath(abs)}${whence}`));
          }
        }
      });
      options[opt] = Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? path.resolve(dir, x) : x)) : typeof v === 'string' ? path.resolve(dir, v) : v;
    }
    // Files the step writes: its outputs at their path options, and what its afterRun hook writes.
    const claimPath = (option: string, what: string): string | undefined => {
      const v = options[option];
      if (typeof v !== 'string' || v === '') return undefined;
      const abs = path.resolve(dir, v);
      options[option] = abs;
      const owner = outputOwners.get(abs);
      if (owner) diags.push(src.diagnosticAt(['steps', id, 'options', option], `step \`${id}\`: ${what} would be written to ${displayPath(abs)}, which ${owner} already writes`));
      else outputOwners.set(abs, `step \`${id}\` ${what}`);
      return abs;
    };
    const outputPaths: Record<string, string> = {};
    for (const [outName, spec] of Object.entries(mod.outputs)) {
      const abs = spec.pathOption ? claimPath(spec.pathOption, `output \`${outName}\``) : undefined;
      if (abs) outputPaths[outName] = abs;
    }
    const afterRunPaths: Record<string, string> = {};
    for (const option of mod.afterRunFiles ?? []) {
      const abs = claimPath(option, `option \`${option}\``);
      if (abs) afterRunPaths[option] = abs;
    }
    const deps = [...new Set(Object.values(inputs).map((i) => i.step))];
    steps.set(id, {
      id,
      type: mod.type,
      module: mod,
      description: typeof step.description === 'string' ? step.description : undefined,
      options,
      inputs,
      deps,
      files,
      outputPaths,
      afterRunPaths,
    });
  }

  // 6. Cycles.
  for (const cycle of findCycles(ids, steps)) {
    const [first, second] = [cycle[0]!, cycle[1] ?? cycle[0]!];
    // `second` reads from `first`: point at that input.
    const inputName = Object.values(steps.get(second)!.inputs).find((i) => i.step === first)?.name;
    const names = [...cycle, cycle[0]!].map((s) => `\`${s}\``).join(' → ');
    diags.push(src.diagnosticAt(['steps', second, 'inputs', ...(inputName ? [inputName] : [])], `cycle: ${names} (each step reads from the one before it); a pipeline must be acyclic`));
  }

  // 7. Sweep: shape is in the schema; names and values must fit the params.
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
  };
}

/** Options that hold paths: file inputs and output path options. */
function pathLikeOptions(mod: StepModule): string[] {
  const out = [...(mod.fileOptions ?? [])];
  for (const spec of Object.values(mod.outputs)) if (spec.pathOption) out.push(spec.pathOption);
  return out;
}

function pointer(p: DocPath): string {
  return p.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function relPosix(from: string, to: string): string {
  return path.relative(from, to).split(path.sep).join('/') || '.';
}

function fileProblem(abs: string): string | undefined {
  try {
    const st = statSync(abs);
    if (st.isDirectory()) return 'is a folder, expected a file';
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : `cannot read file (${code})`;
  }
}

function resolveReference(
  ref: string,
  inputName: string,
  kind: string,
  id: string,
  stepsDoc: Record<string, Record<string, unknown>>,
  registry: StepRegistry,
  report: (message: string) => void,
): ResolvedInput | undefined {
  const dot = ref.indexOf('.');
  const target = dot < 0 ? ref : ref.slice(0, dot);
  const outName = dot < 0 ? undefined : ref.slice(dot + 1);
  const where = `input \`${inputName}\` of step \`${id}\``;
  const targetDoc = stepsDoc[target];
  if (!targetDoc) {
    report(`${where}: no step \`${target}\`${didYouMean(target, Object.keys(stepsDoc))}; steps: ${listNames(Object.keys(stepsDoc))}`);
    return undefined;
  }
  const targetMod = typeof targetDoc.type === 'string' ? registry.get(targetDoc.type) : undefined;
  if (!targetMod) return undefined; // its unknown type is reported on its own
  const outs = Object.entries(targetMod.outputs);
  const describeOuts = outs.map(([n, s]) => `\`${n}\` (${s.kind})`).join(', ') || '(none)';
  if (outName !== undefined) {
    const spec = targetMod.outputs[outName];
    if (!spec) {
      report(`${where}: step \`${target}\` (type \`${targetMod.type}\`) has no output \`${outName}\`${didYouMean(outName, outs.map(([n]) => n))}; its outputs: ${describeOuts}`);
      return undefined;
    }
    if (spec.kind !== kind) {
      report(`${where} expects a \`${kind}\`, but \`${target}.${outName}\` is a \`${spec.kind}\``);
      return undefined;
    }
    return { name: inputName, step: target, output: outName, kind };
  }
  const matching = outs.filter(([, s]) => s.kind === kind);
  if (matching.length === 1) return { name: inputName, step: target, output: matching[0]![0], kind };
  if (matching.length === 0) {
    report(`${where} expects a \`${kind}\`, but step \`${target}\` (type \`${targetMod.type}\`) has no output of that kind; its outputs: ${describeOuts}`);
  } else {
    report(`${where}: step \`${target}\` has ${matching.length} outputs of kind \`${kind}\` (${matching.map(([n]) => `\`${target}.${n}\``).join(', ')}); name one`);
  }
  return undefined;
}

function schemaDiagnostics(
  errors: ErrorObject[],
  src: YamlSource,
  registry: StepRegistry,
  doc: Record<string, unknown>,
  fromParam: Map<string, string>,
  values: ReadonlyMap<string, ParamValue>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const steps = (isPlainObject(doc.steps) ? doc.steps : {}) as Record<string, Record<string, unknown>>;
  const badType = new Set<string>();
  for (const e of errors) {
    const p = pointerToPath(e.instancePath);
    if (p[0] === 'steps' && p.length === 3 && p[2] === 'type' && (e.keyword === 'enum' || e.keyword === 'type')) badType.add(p[1]!);
  }
  // An option whose schema is a choice (anyOf: "an integer ≥ 1 or "all""): one message for
  // it, instead of one per failed branch (ajv reports every branch, then the anyOf itself).
  const choicePaths = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'propertyNames') continue;
    if (choicePaths.has(e.instancePath) && e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const p = pointerToPath(e.instancePath);
    const stepId = p[0] === 'steps' && p.length >= 2 ? p[1]! : undefined;
    if (stepId && badType.has(stepId) && !(p.length === 3 && p[2] === 'type')) continue;
    const stepType = stepId && isPlainObject(steps[stepId]) ? String(steps[stepId]!.type) : undefined;
    const mod = stepType ? registry.get(stepType) : undefined;
    const stepLabel = stepId ? `step \`${stepId}\`${mod ? ` (type \`${mod.type}\`)` : ''}` : '';
    const section = p[2];
    const rest = p.slice(3);
    const params = e.params as Record<string, any>;

    // Invalid names (step ids, param names): ajv reports them with `propertyName`.
    if ((e as ErrorObject & { propertyName?: string }).propertyName !== undefined) {
      const name = (e as ErrorObject & { propertyName?: string }).propertyName!;
      const what = p.length === 1 && p[0] === 'steps' ? 'step id' : p[0] === 'params' && p.length === 1 ? 'param name' : 'name';
      out.push(src.diagnosticAt([...p, name], `invalid ${what} \`${name}\`: use letters, digits, \`_\` and \`-\`, not starting with a digit`, 'key'));
      continue;
    }

    if (e.keyword === 'additionalProperties') {
      const key = String(params.additionalProperty);
      const at = [...p, key];
      let message: string;
      if (p.length === 0) message = `unknown top-level key \`${key}\`${didYouMean(key, ['params', 'steps', 'sweep'])}; expected \`params\`, \`steps\` and \`sweep\``;
      else if (stepId && p.length === 2) message = `${stepLabel}: unknown key \`${key}\`${didYouMean(key, ['type', 'inputs', 'options', 'description'])}; a step has \`type\`, \`inputs\`, \`options\` and \`description\``;
      else if (stepId && section === 'options' && mod) {
        const known = knownProps(mod.optionsSchema, rest);
        message = `${stepLabel}: unknown option \`${[...rest, key].join('.')}\`${didYouMean(key, known)}; ${known.length ? `its options: ${listNames(known)}` : 'it takes no options here'}`;
      } else if (stepId && section === 'inputs' && mod) {
        const known = Object.keys(mod.inputs);
        message = `${stepLabel}: unknown input \`${key}\`${didYouMean(key, known)}; ${known.length ? `its inputs: ${known.map((k) => `\`${k}\` (${mod.inputs[k]!.kind})`).join(', ')}` : 'it takes no inputs'}`;
      } else if (p[0] === 'sweep') {
        const known = p[1] === 'chart' ? SWEEP_CHART_KEYS : SWEEP_KEYS;
        message = `${p[1] === 'chart' ? 'sweep.chart' : 'sweep'}: unknown key \`${key}\`${didYouMean(key, known)}; expected ${known.map((k) => `\`${k}\``).join(', ')}`;
      }
      else message = `unknown key \`${key}\``;
      out.push(src.diagnosticAt(at, message, 'key'));
      continue;
    }

    if (e.keyword === 'required') {
      const missing = String(params.missingProperty);
      let message: string;
      if (p.length === 0) message = `missing \`${missing}\`: a pipeline needs a \`steps:\` mapping`;
      else if (stepId && p.length === 2) message = `${stepLabel}: missing \`${missing}\`${missing === 'type' ? `; known types: ${listNames(registry.types())}` : ''}`;
      else if (stepId && section === 'options') message = `${stepLabel}: missing required option \`${[...rest, missing].join('.')}\``;
      else if (stepId && section === 'inputs' && mod) message = `${stepLabel}: missing required input \`${missing}\` (a \`${mod.inputs[missing]?.kind}\`)`;
      else message = `missing required key \`${missing}\``;
      out.push(src.diagnosticAt(p, message));
      continue;
    }

    if (stepId && p.length === 3 && section === 'type' && e.keyword === 'enum') {
      const t = String(steps[stepId]?.type);
      out.push(src.diagnosticAt(p, `${stepLabel || `step \`${stepId}\``}: unknown step type \`${t}\`${didYouMean(t, registry.types())}; known types: ${listNames(registry.types())}`));
      continue;
    }

    if (stepId && section === 'inputs' && e.keyword === 'pattern') {
      out.push(src.diagnosticAt(p, `${stepLabel}: input \`${rest.join('.')}\`: ${JSON.stringify(valueAt(doc, p))} is not a reference; write \`stepId\` or \`stepId.output\``));
      continue;
    }

    // Anything else: a wrong value. Say where it came from when it came from a param.
    const value = valueAt(doc, p);
    const param = fromParam.get(e.instancePath);
    const pv = param ? values.get(param) : undefined;
    const whence = param && pv ? ` (from \${params.${param}}, set by ${originLabel(pv.origin)})` : '';
    const what =
      stepId && section === 'options' && rest.length ? `${stepLabel}: option \`${rest.join('.')}\`` : stepId ? `${stepLabel}: \`${p.slice(2).join('.')}\`` : `\`${p.join('.')}\``;
    const choice = (e.keyword === 'anyOf' || e.keyword === 'oneOf') && mod && section === 'options' ? optionSchemaAt(mod.optionsSchema, rest) : undefined;
    const detail =
      e.keyword === 'enum'
        ? `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${typeof value === 'string' ? didYouMean(value, (params.allowedValues as unknown[]).filter((v): v is string => typeof v === 'string')) : ''}`
        : choice && Array.isArray(choice.anyOf ?? choice.oneOf)
          ? `must be ${((choice.anyOf ?? choice.oneOf) as unknown[]).map(describeSchema).join(' or ')}` +
            (typeof value === 'string'
              ? didYouMean(value, ((choice.anyOf ?? choice.oneOf) as unknown[]).flatMap((b) => (isPlainObject(b) && typeof b.const === 'string' ? [b.const] : [])))
              : '')
          : (e.message ?? 'is invalid');
    out.push(src.diagnosticAt(p, `${what} ${detail}, got ${shortJson(value)}${whence}`));
  }
  return out;
}

/** The schema of option `sub` (a property path) in an options schema. */
function optionSchemaAt(schema: Record<string, unknown>, sub: readonly string[]): Record<string, unknown> | undefined {
  let s: unknown = schema;
  for (const seg of sub) s = isPlainObject(s) && isPlainObject(s.properties) ? s.properties[seg] : undefined;
  return isPlainObject(s) ? s : undefined;
}

/** A branch of a choice in words: `an integer ≥ 1`, `"all"`, `null`, `a number > 0`. */
function describeSchema(branch: unknown): string {
  if (!isPlainObject(branch)) return 'a valid value';
  if ('const' in branch) return JSON.stringify(branch.const);
  if (Array.isArray(branch.enum)) return `one of ${branch.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const type = branch.type;
  if (type === 'null') return 'null';
  const noun = type === 'integer' ? 'an integer' : type === 'number' ? 'a number' : type === 'string' ? 'a string' : type === 'boolean' ? 'true or false' : typeof type === 'string' ? `a ${type}` : 'a value';
  const bounds: string[] = [];
  if (typeof branch.minimum === 'number') bounds.push(`≥ ${branch.minimum}`);
  if (typeof branch.exclusiveMinimum === 'number') bounds.push(`> ${branch.exclusiveMinimum}`);
  if (typeof branch.maximum === 'number') bounds.push(`≤ ${branch.maximum}`);
  if (typeof branch.exclusiveMaximum === 'number') bounds.push(`< ${branch.exclusiveMaximum}`);
  return bounds.length ? `${noun} ${bounds.join(' and ')}` : noun;
}

function knownProps(schema: Record<string, unknown>, sub: readonly string[]): string[] {
  let s: unknown = schema;
  for (const seg of sub) {
    s = isPlainObject(s) && isPlainObject(s.properties) ? s.properties[seg] : undefined;
  }
  return isPlainObject(s) && isPlainObject(s.properties) ? Object.keys(s.properties) : [];
}

function valueAt(doc: unknown, p: readonly string[]): unknown {
  let v = doc;
  for (const seg of p) v = isPlainObject(v) || Array.isArray(v) ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/**
 * Every cycle in the step graph, each as a list of step ids in data-flow order (each
 * step reads from the one before it, the first reads from the last). One cycle per
 * strongly connected component (Tarjan), found by a walk inside that component.
 */
export function findCycles(ids: readonly string[], steps: ReadonlyMap<string, ResolvedStep>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;
  const readers = (id: string) => ids.filter((r) => steps.get(r)?.deps.includes(id)); // edges id → reader
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of readers(v)) {
      if (!index.has(w)) {
        strong(w);
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
      sccs.push(scc);
    }
  };
  for (const id of ids) if (steps.has(id) && !index.has(id)) strong(id);
  const cycles: string[][] = [];
  for (const scc of sccs) {
    const members = new Set(scc);
    const start = ids.find((id) => members.has(id))!;
    if (scc.length === 1 && !steps.get(start)!.deps.includes(start)) continue;
    // Walk readers inside the component until we return to the start (BFS for the shortest).
    const prev = new Map<string, string>();
    const queue = [start];
    let found = false;
    while (queue.length && !found) {
      const v = queue.shift()!;
      for (const w of readers(v).filter((r) => members.has(r))) {
        if (w === start) {
          prev.set(start, v);
          found = true;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const cycle: string[] = [];
    let cur = prev.get(start)!;
    while (cur !== start) {
      cycle.unshift(cur);
      cur = prev.get(cur)!;
    }
    cycle.unshift(start);
    cycles.push(cycle);
  }
  return cycles;
}

/** Kahn's algorithm; among ready steps, the one written first in the file goes first. */
function topoOrder(ids: readonly string[], steps: ReadonlyMap<string, ResolvedStep>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const pending = ids.filter((id) => steps.has(id));
  while (pending.length) {
    const i = pending.findIndex((id) => steps.get(id)!.deps.every((d) => done.has(d)));
    if (i < 0) throw new Error('topoOrder: cycle (should have been reported)');
    const [id] = pending.splice(i, 1);
    order.push(id!);
    done.add(id!);
  }
  return order;
}

function checkSweep(
  sweep: Record<string, unknown>,
  src: YamlSource,
  decls: Map<string, ParamDecl>,
  steps: ReadonlyMap<string, ResolvedStep>,
  diags: Diagnostic[],
): void {
  const known = [...decls.keys()];
  const check = (name: string, keyAt: DocPath, part: 'key' | 'value' = 'key') => {
    const decl = decls.get(name);
    if (!decl) {
      diags.push(src.diagnosticAt(keyAt, `sweep: unknown param \`${name}\`${didYouMean(name, known)}; the pipeline's params are ${listNames(known)}`, part));
      return false;
    }
    return true;
  };
  // Metric names: `metric` cannot be checked before the run (a metrics output's names are
  // its values' keys), but the `step.output.` of `step.output.metric` can.
  const metricsOutputs = [...steps.values()].flatMap((st) => Object.entries(st.module.outputs).filter(([, o]) => o.metrics).map(([name]) => `${st.id}.${name}`));
  const checkMetric = (name: unknown, at: DocPath) => {
    if (typeof name !== 'string') return;
    const parts = name.split('.');
    if (parts.length < 3) return;
    const prefix = `${parts[0]}.${parts[1]}`;
    if (metricsOutputs.includes(prefix)) return;
    diags.push(
      src.diagnosticAt(
        at,
        `sweep: metric \`${name}\`: \`${prefix}\` is not a metrics output${didYouMean(prefix, metricsOutputs)}; ` +
          (metricsOutputs.length ? `the pipeline's metrics outputs: ${listNames(metricsOutputs)}` : 'the pipeline has no metrics output'),
      ),
    );
  };
  checkMetric(sweep.sort_by, ['sweep', 'sort_by']);
  if (Array.isArray(sweep.metrics)) sweep.metrics.forEach((m, i) => checkMetric(m, ['sweep', 'metrics', i]));
  if (isPlainObject(sweep.chart)) {
    checkMetric(sweep.chart.y, ['sweep', 'chart', 'y']);
    for (const k of ['x', 'color'] as const) if (typeof sweep.chart[k] === 'string') check(sweep.chart[k], ['sweep', 'chart', k], 'value');
  }
  if (isPlainObject(sweep.grid)) {
    for (const [name, values] of Object.entries(sweep.grid)) {
      if (!check(name, ['sweep', 'grid', name]) || !Array.isArray(values)) continue;
      values.forEach((v, i) => {
        const problem = checkValue(decls.get(name)!, v);
        if (problem) diags.push(src.diagnosticAt(['sweep', 'grid', name, i], `sweep: param \`${name}\` ${problem}`));
      });
    }
  }
  if (Array.isArray(sweep.variants)) {
    sweep.variants.forEach((variant, i) => {
      if (!isPlainObject(variant)) return;
      for (const [name, v] of Object.entries(variant)) {
        if (!check(name, ['sweep', 'variants', i, name])) continue;
        const problem = checkValue(decls.get(name)!, v);
        if (problem) diags.push(src.diagnosticAt(['sweep', 'variants', i, name], `sweep: param \`${name}\` ${problem}`));
      }
    });
  }
}

function checkValue(decl: ParamDecl, v: unknown): string | undefined {
  return checkParamValue(decl.type, v);
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
