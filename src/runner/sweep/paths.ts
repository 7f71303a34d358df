/**
 * Where a sweep variant's output files go. Every output with a path option (`out:
 * out/mini.json`) is moved, for a variant, into the variant's own folder, keeping its path
 * below the folder that holds all of the pipeline's output files:
 *
 *   out/mini.json, out/plots/tiers.svg   →   out/sweep/alpha=0.4/mini.json,
 *                                            out/sweep/alpha=0.4/plots/tiers.svg
 *
 * Output paths are not part of cache keys (where a file is copied to does not change its
 * content), so a remapped variant has the same keys as the plain pipeline with its params:
 * a sweep reuses `run`'s results and the other way round.
 */
import path from 'node:path';
import type { Pipeline, ResolvedStep } from '../pipeline/types.js';

/** Every output file path of the pipeline (absolute). */
export function outputPaths(p: Pipeline): string[] {
  return [...p.steps.values()].flatMap((s) => Object.values(s.outputPaths));
}

/** The deepest folder that holds every output file (and sync folder) of the pipeline; its own folder when it has none. */
export function outputRoot(p: Pipeline): string {
  const folders = [...p.steps.values()].flatMap((s) => Object.values(s.syncPaths));
  const dirs = [...outputPaths(p), ...folders].map((f) => path.dirname(f));
  if (dirs.length === 0) return p.dir;
  let root = dirs[0]!;
  for (const d of dirs.slice(1)) {
    while (!isWithin(d, root)) {
      const up = path.dirname(root);
      if (up === root) break;
      root = up;
    }
  }
  return root;
}

/** The default sweep folder: `sweep/` in the folder of the pipeline's output files. */
export function defaultSweepDir(p: Pipeline): string {
  return path.join(outputRoot(p), 'sweep');
}

function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The same pipeline with every output path, every file an afterRun hook writes and every sync
 * folder moved from below `outputRoot(p)` to below `folder` (the path options in the steps'
 * options too). Everything else is shared.
 */
export function withOutputFolder(p: Pipeline, folder: string): Pipeline {
  const root = outputRoot(p);
  const move = (file: string) => path.join(folder, path.relative(root, file));
  const steps = new Map<string, ResolvedStep>();
  for (const [id, step] of p.steps) {
    const outs = Object.entries(step.outputPaths);
    const hooks = Object.entries(step.afterRunPaths);
    const folders = Object.entries(step.syncPaths);
    if (outs.length === 0 && hooks.length === 0 && folders.length === 0) {
      steps.set(id, step);
      continue;
    }
    const options = { ...step.options };
    const outputPaths: Record<string, string> = {};
    for (const [name, file] of outs) {
      outputPaths[name] = move(file);
      const opt = step.module.outputs[name]?.pathOption;
      if (opt) options[opt] = outputPaths[name];
    }
    const afterRunPaths: Record<string, string> = {};
    for (const [opt, file] of hooks) options[opt] = afterRunPaths[opt] = move(file);
    const syncPaths: Record<string, string> = {};
    for (const [opt, dir] of folders) options[opt] = syncPaths[opt] = move(dir);
    steps.set(id, { ...step, options, outputPaths, afterRunPaths, syncPaths });
  }
  return { ...p, steps };
}
