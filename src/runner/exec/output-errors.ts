/** Output files a step could not write, and run records the cache could not take, said as the user's mistake where it is one. */
import { DiagnosticError } from '../../base/diagnostic.js';
import { pathProblem, sizeNeeded } from '../../base/fs-problems.js';
import { cacheWriteError } from '../cache/cache-problems.js';
import type { Pipeline, ResolvedStep } from '../pipeline/types.js';
import { isInside } from './step-outputs.js';
import { displayPath } from '../../base/display-path.js';

/**
 * A user's output path that can't be written is their mistake to fix, not a bug: said at the
 * option's line:col. Other errors pass through.
 */
export function outputPathError(p: Pipeline, step: ResolvedStep, output: string, dest: string, err: unknown, storeRoot: string): unknown {
  const why = pathProblem(err);
  // Only problems at the user's side of the copy: not reading the store's own object.
  const at = (err as NodeJS.ErrnoException & { dest?: string }).dest ?? (err as NodeJS.ErrnoException).path;
  if (!why || (at !== undefined && isInside(storeRoot, at) && !isInside(storeRoot, dest))) return err;
  const option = step.module.outputs[output]?.pathOption;
  const message = `step \`${step.id}\`: cannot write output \`${output}\` to ${displayPath(dest)}: ${why}; choose another path${option ? ` for \`${option}\`` : ''}`;
  const d = option ? p.source.src.diagnosticAt(['steps', step.id, 'options', option], message) : { severity: 'error' as const, message };
  return new DiagnosticError([d]);
}

/** Writes the run's own records into the cache folder `root`; a full or read-only folder is said so. */
export async function recordingRun<T>(root: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw cacheWriteError(err, root, 'recording the run', sizeNeeded(err)) ?? err;
  }
}
