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
import { statSync } from 'node:fs';
import path from 'node:path';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { sha256 } from '../cache/hash.js';
import {
  applyOverrides,
  describeValue,
  interpolate,
  isPlainObject,
  leadingParamRef,
  originLabel,
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
import { didYouMean, listNames } from '../../base/suggest.js';
import { YamlSource, type DocPath } from './yaml-source.js';
import { displayPath } from '../../base/display-path.js';
import { FileDep, INVALID_PIPELINE_EXIT, Pipeline, PipelineSource, ResolveOptions, ResolvedInput, ResolvedStep } from './types.js';
import { findCycles, topoOrder } from './step-order.js';
import { checkSweep } from './sweep-section.js';
import { claimWrittenPaths } from './written-paths.js';
import { resolveFolderOptions } from './read-folders.js';

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
  const validate = validatorFor(registry, { cache: opts.validatorCacheDir, prebuilt: opts.prebuiltValidatorDir }, opts.onCacheProblem);
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
      diags.push(src.diagnosticAt(at, `step \`${id}\` (type \`${step.type}\`): ${problem.message}`, 'value', problem.severity ?? 'error'));
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
    resolveFolderOptions(mod, options, dir);
    const { outputPaths, afterRunPaths, syncPaths } = claimWrittenPaths(id, mod, options, dir, outputOwners, (option, m) => diags.push(src.diagnosticAt(['steps', id, 'options', option], m)));
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
      syncPaths,
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

  // 7. No output over an input, nor two outputs in one file (through links too).
  if (!diags.some((d) => d.severity === 'error')) diags.push(...fileClashes(steps, src));

  // 8. Sweep: shape is in the schema; names and values must fit the params.
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

/** Options that hold paths: file inputs, folders read, output path options and sync folders. */
function pathLikeOptions(mod: StepModule): string[] {
  const out = [...(mod.fileOptions ?? []), ...(mod.folderOptions ?? []), ...(mod.syncFolders ?? [])];
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
