/**
 * From a resolved pipeline and the sweep's arguments to the variants to run: each variant's
 * pipeline resolved with its params (every variant is validated before anything runs; all
 * problems are reported together), its name, and its output folder.
 */
import path from 'node:path';
import { DiagnosticError, formatDiagnostic, type Diagnostic } from '../../base/diagnostic.js';
import { INVALID_PIPELINE_EXIT, type Pipeline, type ResolveOptions } from '../pipeline/types.js';
import { relPosix, resolvePipeline, sortDiagnostics } from '../pipeline/pipeline.js';
import type { StepRegistry } from '../step/registry.js';
import { fileClashes, overwriteMessage, runFileAt } from '../pipeline/file-clashes.js';
import { defaultSweepDir, outputRoot, withOutputFolder } from './paths.js';
import type { SweepVariantPlan } from './run.js';
import { expandVariants, readSweepSpec, sweptParams, variantFolderNames, variantStateId, varyingParams, type SweepSpec } from './grid.js';

export interface SweepPlan {
  spec: SweepSpec;
  variants: SweepVariantPlan[];
  /** Variants dropped because an earlier one had the same values. */
  duplicates: number;
  /** Params that vary across the variants. */
  varying: string[];
  /** The sweep folder (absolute). */
  outDir: string;
}

/** The sweep's own files in its folder (the chart's name depends on the metric: see `sweepFileClash`). */
export const SWEEP_TABLE_FILES = ['sweep.csv', 'sweep.json'];

/**
 * Whether one of the sweep's own files (`names` in `outDir`) would replace a file of a
 * variant's run, an input or an output: the message, else undefined.
 */
export function sweepFileClash(outDir: string, names: readonly string[], variants: readonly Pipeline[]): string | undefined {
  for (const name of names) {
    const file = path.join(outDir, name);
    for (const p of variants) {
      const hit = runFileAt(file, p.steps);
      if (hit) return overwriteMessage(`the sweep's ${name}`, file, hit);
    }
  }
  return undefined;
}

export interface SweepPlanOptions {
  registry: StepRegistry;
  /** How `base` was resolved (--set, --params, config params, ...). */
  resolve: ResolveOptions;
  /** `--grid` arguments. */
  grid: readonly string[];
  /** `--out`, absolute. */
  out?: string;
  cwd: string;
}

export function planSweep(base: Pipeline, o: SweepPlanOptions): SweepPlan {
  const diags: Diagnostic[] = [];
  const spec = readSweepSpec(base.source, o.grid, o.cwd, diags);
  if (diags.length) throw new DiagnosticError(diags, INVALID_PIPELINE_EXIT);
  const { variants, duplicates } = expandVariants(spec, base.source.decls);
  if (variants.length === 0) {
    throw new DiagnosticError(
      [{ severity: 'error', message: `${base.displayFile} declares no sweep: add a \`sweep:\` section with \`grid:\` or \`variants:\`, or pass --grid NAME=V1,V2,...` }],
      INVALID_PIPELINE_EXIT,
    );
  }
  const resolved: Pipeline[] = [];
  for (const v of variants) {
    try {
      resolved.push(resolvePipeline(base.source, o.registry, { ...o.resolve, overrides: [...(o.resolve.overrides ?? []), ...v.overrides] }));
    } catch (err) {
      if (!(err instanceof DiagnosticError)) throw err;
      diags.push(...err.diagnostics);
    }
  }
  if (diags.length) {
    const seen = new Set<string>();
    const unique = diags.filter((d) => !seen.has(formatDiagnostic(d)) && seen.add(formatDiagnostic(d)));
    throw new DiagnosticError(sortDiagnostics(unique), INVALID_PIPELINE_EXIT);
  }

  const varying = varyingParams(sweptParams(spec), resolved.map((p) => p.params));
  // A param's value as written: the variant's own, else the base pipeline's (a path shown
  // relative to the pipeline's folder rather than absolute).
  const written = (v: (typeof variants)[number], name: string): unknown => {
    if (name in v.values) return v.values[name];
    const b = base.params[name];
    return typeof b === 'string' && path.isAbsolute(b) ? relPosix(base.dir, b) : b;
  };
  const labels = variants.map((v) => {
    const names = varying.length ? varying : Object.keys(v.values);
    const pairs = names.map((n) => [n, written(v, n)] as [string, unknown]);
    return { pairs, values: v.values };
  });
  const folders = variantFolderNames(labels);
  const outDir = o.out ?? spec.out ?? defaultSweepDir(base);
  const planned = variants.map((v, i) => {
    const folder = path.join(outDir, folders[i]!);
    return {
      name: folders[i]!,
      folder,
      varying: Object.fromEntries(labels[i]!.pairs.filter(([n]) => varying.includes(n))),
      pipeline: withOutputFolder(resolved[i]!, folder),
      movedFrom: outputRoot(resolved[i]!),
      stateId: variantStateId(base.id, v.values),
    };
  });
  // A variant's outputs moved into its folder must not land on an input either.
  const clashes = planned.flatMap((v) => fileClashes(v.pipeline.steps, v.pipeline.source.src).map((d) => ({ ...d, message: `variant ${v.name}: ${d.message}` })));
  if (clashes.length) throw new DiagnosticError(sortDiagnostics(clashes), INVALID_PIPELINE_EXIT);
  const table = sweepFileClash(outDir, SWEEP_TABLE_FILES, planned.map((v) => v.pipeline));
  if (table) throw new DiagnosticError([{ severity: 'error', message: table }], INVALID_PIPELINE_EXIT);
  return { spec, duplicates, varying, outDir, variants: planned };
}
