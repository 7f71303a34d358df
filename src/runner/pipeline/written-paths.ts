/**
 * The places a step writes, resolved against the pipeline's folder: its outputs at their path
 * options, the files its afterRun hook writes, and the folders its sync keeps. Two of them in
 * one place are reported here; places that are the same file through links, and inputs or
 * outputs inside a sync folder, in file-clashes.ts.
 */
import path from 'node:path';
import { displayPath } from '../../base/display-path.js';
import type { StepModule } from '../step/step.js';

export interface WrittenPaths {
  outputPaths: Record<string, string>;
  afterRunPaths: Record<string, string>;
  syncPaths: Record<string, string>;
}

/**
 * Resolves (in `options`, in place) and claims every place step `id` writes. `owners` maps
 * each place claimed so far to its owner's description; `report(option, message)` says when
 * the place is taken.
 */
export function claimWrittenPaths(
  id: string,
  mod: StepModule,
  options: Record<string, unknown>,
  dir: string,
  owners: Map<string, string>,
  report: (option: string, message: string) => void,
): WrittenPaths {
  const claim = (option: string, what: string): string | undefined => {
    const v = options[option];
    if (typeof v !== 'string' || v === '') return undefined;
    const abs = path.resolve(dir, v);
    options[option] = abs;
    const owner = owners.get(abs);
    if (owner) report(option, `step \`${id}\`: ${what} would be written to ${displayPath(abs)}, which ${owner} already writes`);
    else owners.set(abs, `step \`${id}\` ${what}`);
    return abs;
  };
  const out: WrittenPaths = { outputPaths: {}, afterRunPaths: {}, syncPaths: {} };
  for (const [name, spec] of Object.entries(mod.outputs)) {
    const abs = spec.pathOption ? claim(spec.pathOption, `output \`${name}\``) : undefined;
    if (abs) out.outputPaths[name] = abs;
  }
  for (const option of mod.afterRunFiles ?? []) {
    const abs = claim(option, `option \`${option}\``);
    if (abs) out.afterRunPaths[option] = abs;
  }
  for (const option of mod.syncFolders ?? []) {
    const abs = claim(option, `the folder \`${option}\``);
    if (abs) out.syncPaths[option] = abs;
  }
  return out;
}
