/**
 * One step of a pipeline resolved (resolvePipeline's fourth phase): its input references checked
 * against the outputs they name and the kinds they carry, the step type's own checks, its file
 * options made absolute and checked to exist, its folder options, and the paths it writes.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { didYouMean, listNames } from '../../base/suggest.js';
import type { StepRegistry } from '../step/registry.js';
import type { StepModule } from '../step/step.js';
import { describeValue, isPlainObject, originLabel, type ParamValue } from './params.js';
import { resolveFolderOptions } from './read-folders.js';
import type { FileDep, ResolvedInput, ResolvedStep } from './types.js';
import { claimWrittenPaths } from './written-paths.js';
import type { DocPath, YamlSource } from './yaml-source.js';

export interface StepContext {
  src: YamlSource;
  /** The pipeline file's folder: relative paths are resolved from it. */
  dir: string;
  registry: StepRegistry;
  /** Every step of the document, interpolated and validated. */
  stepsDoc: Record<string, Record<string, unknown>>;
  diags: Diagnostic[];
  /** Output path → the step that writes it (claimWrittenPaths fills it). */
  outputOwners: Map<string, string>;
  checkFiles: boolean;
  /** The param a value at a document path came from, if any (for "from --set …" in messages). */
  paramOf: (at: DocPath, isListItem: boolean) => ParamValue | undefined;
}

/** Step `id` resolved; undefined when its type is unknown or it is not a mapping (both reported by the schema pass). */
export function resolveStep(id: string, ctx: StepContext): ResolvedStep | undefined {
  const step = ctx.stepsDoc[id];
  if (!isPlainObject(step) || typeof step.type !== 'string') return undefined;
  const mod = ctx.registry.get(step.type);
  if (!mod) return undefined;
  const options = (isPlainObject(step.options) ? step.options : {}) as Record<string, unknown>;
  const rawInputs = isPlainObject(step.inputs) ? step.inputs : {};
  const inputs = resolveInputs(id, mod, rawInputs, ctx);
  stepChecks(id, step, mod, options, new Set(Object.keys(rawInputs)), ctx);
  const files = resolveFileOptions(id, mod, options, ctx);
  resolveFolderOptions(mod, options, ctx.dir);
  const { outputPaths, afterRunPaths, syncPaths } = claimWrittenPaths(id, mod, options, ctx.dir, ctx.outputOwners, (option, m) => ctx.diags.push(ctx.src.diagnosticAt(['steps', id, 'options', option], m)));
  return {
    id,
    type: mod.type,
    module: mod,
    description: typeof step.description === 'string' ? step.description : undefined,
    options,
    inputs,
    deps: [...new Set(Object.values(inputs).map((i) => i.step))],
    files,
    outputPaths,
    afterRunPaths,
    syncPaths,
  };
}

function resolveInputs(id: string, mod: StepModule, rawInputs: Record<string, unknown>, ctx: StepContext): Record<string, ResolvedInput> {
  const inputs: Record<string, ResolvedInput> = {};
  for (const [name, ref] of Object.entries(rawInputs)) {
    const spec = mod.inputs[name];
    if (!spec || typeof ref !== 'string') continue; // reported by the schema pass
    const at = ['steps', id, 'inputs', name];
    const resolved = resolveReference(ref, name, spec.kind, id, ctx.stepsDoc, ctx.registry, (m) => ctx.diags.push(ctx.src.diagnosticAt(at, m)));
    if (resolved) inputs[name] = resolved;
  }
  return inputs;
}

/** The step type's own checks of its options and inputs, each at the key it names. */
function stepChecks(id: string, step: Record<string, unknown>, mod: StepModule, options: Record<string, unknown>, inputNames: Set<string>, ctx: StepContext): void {
  for (const problem of mod.check?.(options, inputNames) ?? []) {
    const section = problem.at ?? 'type';
    const at = section === 'type' ? ['steps', id, 'type'] : ['steps', id, section, ...(problem.key && isPlainObject(step[section]) && problem.key in (step[section] as object) ? [problem.key] : [])];
    ctx.diags.push(ctx.src.diagnosticAt(at, `step \`${id}\` (type \`${String(step.type)}\`): ${problem.message}`, 'value', problem.severity ?? 'error'));
  }
}

/** The step's file options made absolute (in `options`), each checked to be a readable file; the files it reads. */
function resolveFileOptions(id: string, mod: StepModule, options: Record<string, unknown>, ctx: StepContext): FileDep[] {
  const files: FileDep[] = [];
  for (const opt of mod.fileOptions ?? []) {
    const v = options[opt];
    if (v === undefined || v === null || v === '') continue;
    const list = Array.isArray(v) ? v : [v];
    list.forEach((item, i) => {
      const at = ['steps', id, 'options', opt, ...(Array.isArray(v) ? [i] : [])];
      if (typeof item !== 'string') {
        ctx.diags.push(ctx.src.diagnosticAt(at, `step \`${id}\`: option \`${opt}\` must be a path (or a list of paths), got ${describeValue(item)}`));
        return;
      }
      const abs = path.resolve(ctx.dir, item);
      files.push({ option: opt, path: abs, rel: relPosix(ctx.dir, abs) });
      const problem = ctx.checkFiles ? fileProblem(abs) : undefined;
      if (problem) {
        const pv = ctx.paramOf(at, Array.isArray(v));
        const whence = pv && pv.origin.kind !== 'default' ? ` (from ${originLabel(pv.origin)})` : '';
        ctx.diags.push(ctx.src.diagnosticAt(at, `step \`${id}\`: option \`${opt}\`: ${problem}: ${displayPath(abs)}${whence}`));
      }
    });
    options[opt] = Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? path.resolve(ctx.dir, x) : x)) : typeof v === 'string' ? path.resolve(ctx.dir, v) : v;
  }
  return files;
}

export function pointer(p: DocPath): string {
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

