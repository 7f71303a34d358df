/** A step's folder options (`folderOptions`): paths resolved against the pipeline's folder, in place. */
import path from 'node:path';
import type { StepModule } from '../step/step.js';

export function resolveFolderOptions(mod: StepModule, options: Record<string, unknown>, dir: string): void {
  for (const opt of mod.folderOptions ?? []) {
    const v = options[opt];
    if (typeof v === 'string' && v !== '') options[opt] = path.resolve(dir, v);
  }
}
